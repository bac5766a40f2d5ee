// Real Fieldlab processes for fleet tests: `node dist/src/cli/main.js start` (npm test builds
// first), each with its own FIELDLAB_REPLICA_ID, ports chosen by the OS (read from the startup log
// line), stdout kept for failure messages. Every process is killed when the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CLI = join(ROOT, 'dist/src/cli/main.js');
const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

/** One replica process. */
export interface Replica {
  readonly id: string;
  readonly proc: ChildProcess;
  readonly url: string;
  readonly adminUrl: string;
  /** GET on the admin API, parsed JSON (status too). */
  admin<T = unknown>(path: string): Promise<{ status: number; body: T }>;
  /** Lines the process printed so far (JSON log lines). */
  output(): string[];
  /** Resolves when the process has exited. */
  readonly exited: Promise<void>;
  /** SIGTERM and wait (graceful drain). */
  stop(): Promise<void>;
  /** SIGKILL: no drain, no lease hand-over, nothing flushed. */
  kill(): Promise<void>;
}

/**
 * Writes `yaml` to `dir/<id>.yaml` and starts a replica on it; resolves once it listens.
 * @example const r = await startReplica('edge-0', dir, yaml, { FIELDLAB_REPLICA_ID: 'edge-0' })
 */
export async function startReplica(id: string, dir: string, yaml: string, env: Record<string, string> = {}, args: string[] = []): Promise<Replica> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, yaml);
  const proc = spawn(process.execPath, [CLI, 'start', '--config', file, '--no-watch', ...args], {
    cwd: dir,
    env: { ...process.env, FIELDLAB_REPLICA_ID: id, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  live.add(proc);
  const lines: string[] = [];
  let buf = '';
  const take = (chunk: Buffer) => {
    buf += chunk.toString('utf8');
    const parts = buf.split('\n');
    buf = parts.pop() ?? '';
    lines.push(...parts);
  };
  proc.stdout.on('data', take);
  proc.stderr.on('data', take);
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', () => {
      live.delete(proc);
      resolve();
    }),
  );
  const started = await new Promise<{ listen: string; admin: string }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${id} did not start:\n${lines.join('\n')}`)), 20_000);
    const check = () => {
      for (const l of lines) {
        if (!l.includes('fieldlab started')) continue;
        clearTimeout(timer);
        return resolve(JSON.parse(l) as { listen: string; admin: string });
      }
    };
    proc.stdout.on('data', check);
    void exited.then(() => {
      clearTimeout(timer);
      reject(new Error(`${id} exited during startup:\n${lines.join('\n')}`));
    });
  });
  const adminUrl = `http://${started.admin}`;
  return {
    id,
    proc,
    url: `http://${started.listen}`,
    adminUrl,
    async admin<T>(path: string) {
      const res = await request(`${adminUrl}${path}`);
      return { status: res.statusCode, body: (await res.body.json()) as T };
    },
    output: () => [...lines],
    exited,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
    async kill() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

/**
 * Polls `fn` every 100 ms until it returns a value that isn't undefined/false, or fails after `ms`.
 * @example const seq = await eventually(async () => (await r.admin('/fleet')).body.self.applied.checkout?.seq, 10_000)
 */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, ms: number, what = 'condition'): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await fn();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}`);
}
