/** The peers compared in one run, and how to start each one against the shared upstream. */
import { join } from 'node:path';
import { spawnNode, waitForPortLine, type Child } from './children.js';
import { profileFlags, startFieldlab } from './fieldlab.js';
import { BENCH_DIR } from './paths.js';

/**
 * Measurement order of a pass; a second pass runs it reversed to cancel drift (thermal, page cache).
 * `fieldlab` runs with every production feature on, access log included; `fieldlab-nolog` is the same
 * without the access log, so the log's own cost is the difference of two peers in one run.
 */
export const PEERS = ['direct', 'undici', 'http-proxy', 'fieldlab-nolog', 'fieldlab'] as const;
export type PeerName = (typeof PEERS)[number];

/** A peer ready to take load on `port`; `pid` is the process whose RSS matters (none for direct). */
export interface RunningPeer {
  port: number;
  pid: number | undefined;
  stop(): Promise<void>;
}

/** Bounds every startup: a peer that can't come up is reported, never waited on forever. */
export const STARTUP_TIMEOUT_MS = 15_000;

/** Spawns the shared origin server and returns it once it has announced its port. */
export async function startUpstream(): Promise<{ child: Child; port: number }> {
  const child = spawnNode('upstream', [join(BENCH_DIR, 'upstream.js')]);
  return { child, port: await waitForPortLine(child, STARTUP_TIMEOUT_MS) };
}

/**
 * Starts one peer in its own process (its own core, away from autocannon's CPU).
 *
 * @example
 * const peer = await startPeer('undici', upstreamPort);
 */
export async function startPeer(name: PeerName, upstreamPort: number): Promise<RunningPeer> {
  const origin = `http://127.0.0.1:${upstreamPort}`;
  switch (name) {
    case 'direct':
      return { port: upstreamPort, pid: undefined, stop: async () => {} };
    case 'undici':
    case 'http-proxy': {
      const script = join(BENCH_DIR, 'peers', `${name === 'undici' ? 'undici-proxy' : 'http-proxy'}.js`);
      const child = spawnNode(name, [...profileFlags(name), script, origin]);
      try {
        return { port: await waitForPortLine(child, STARTUP_TIMEOUT_MS), pid: child.proc.pid, stop: () => child.stop() };
      } catch (err) {
        await child.stop();
        throw err;
      }
    }
    case 'fieldlab':
    case 'fieldlab-nolog': {
      const fl = await startFieldlab(upstreamPort, STARTUP_TIMEOUT_MS, { accessLog: name === 'fieldlab', profileName: name });
      return { port: fl.port, pid: fl.child.proc.pid, stop: fl.stop };
    }
  }
}
