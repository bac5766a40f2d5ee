/** The peers compared in one run, and how to start each one against the shared upstream. */
import { join } from 'node:path';
import { spawnNode, waitForPortLine, type Child } from './children.js';
import { startFieldlab } from './fieldlab.js';
import { BENCH_DIR } from './paths.js';

/** Measurement order of a pass; a second pass runs it reversed to cancel drift (thermal, page cache). */
export const PEERS = ['direct', 'undici', 'http-proxy', 'fieldlab'] as const;
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
      const child = spawnNode(name, [join(BENCH_DIR, 'peers', `${name === 'undici' ? 'undici-proxy' : 'http-proxy'}.js`), origin]);
      try {
        return { port: await waitForPortLine(child, STARTUP_TIMEOUT_MS), pid: child.proc.pid, stop: () => child.stop() };
      } catch (err) {
        await child.stop();
        throw err;
      }
    }
    case 'fieldlab': {
      const fl = await startFieldlab(upstreamPort, STARTUP_TIMEOUT_MS);
      return { port: fl.port, pid: fl.child.proc.pid, stop: fl.stop };
    }
  }
}
