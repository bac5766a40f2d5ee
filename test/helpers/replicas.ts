// Real Fieldlab processes for fleet tests: `node dist/src/cli/main.js start` (npm test builds
// first), each with its own FIELDLAB_REPLICA_ID and free loopback ports, ready once /readyz says so,
// output kept for failure messages. Every process is killed when the test process exits.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Pool, request } from 'undici';

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
  /** The process is meant to exit by itself (e.g. a bad store URL): don't report it as a crash. */
  expectExit(): void;
}

/** A port nobody listens on right now (the OS picks it; closed again before use). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** The ports a replica's config must use. */
export interface ReplicaPorts {
  readonly listen: number;
  readonly admin: number;
}

/**
 * Writes `yaml(ports)` to `dir/<id>.yaml` and starts a replica on it; resolves once /readyz is 200.
 * @example const r = await startReplica('edge-0', dir, ({ listen, admin }) => yaml)
 */
export async function startReplica(
  id: string,
  dir: string,
  yaml: (ports: ReplicaPorts) => string,
  env: Record<string, string> = {},
  args: string[] = [],
  ports?: ReplicaPorts,
): Promise<Replica> {
  const r = await spawnReplica(id, dir, yaml, env, args, ports);
  let gone = false;
  void r.exited.then(() => (gone = true));
  try {
    await eventually(async () => {
      if (gone) throw new Error('exited');
      return (await request(`${r.adminUrl}/readyz`)).statusCode === 200;
    }, 20_000);
  } catch {
    await r.kill();
    throw new Error(`${id} did not start:\n${r.output().join('\n')}`);
  }
  return r;
}

/**
 * Like startReplica but resolves as soon as the process is spawned (for tests of how it starts).
 * @example const r = await spawnReplica('edge-2', dir, yaml); await eventually(() => …readyz…)
 */
export async function spawnReplica(
  id: string,
  dir: string,
  yaml: (ports: ReplicaPorts) => string,
  env: Record<string, string> = {},
  args: string[] = [],
  ports?: ReplicaPorts,
): Promise<Replica> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run npm run build (npm test does)`);
  const p = ports ?? { listen: await freePort(), admin: await freePort() };
  const file = join(dir, `${id}.yaml`);
  writeFileSync(file, yaml(p));
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
  // A replica that dies when the test did not ask it to is the first thing to know about a failure.
  let asked = false;
  const exited = new Promise<void>((resolve) =>
    proc.once('exit', (code, signal) => {
      live.delete(proc);
      if (buf) lines.push(buf);
      if (!asked) console.error(`replica ${id} exited on its own (code ${code}, signal ${signal}):\n${lines.slice(-40).join('\n')}`);
      resolve();
    }),
  );
  const adminUrl = `http://127.0.0.1:${p.admin}`;
  return {
    id,
    proc,
    url: `http://127.0.0.1:${p.listen}`,
    adminUrl,
    async admin<T>(path: string) {
      const res = await request(`${adminUrl}${path}`);
      return { status: res.statusCode, body: (await res.body.json()) as T };
    },
    output: () => [...lines],
    exited,
    expectExit() {
      asked = true;
    },
    async stop() {
      asked = true;
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
    async kill() {
      asked = true;
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

/**
 * The fleet tests' config: one `checkout` route, 20% to the variant by x-user-id, guardrails on.
 * @example startReplica('edge-0', dir, fleetYaml({ store: pgs.url, control: c.url, variant: v.url }))
 */
export function fleetYaml(o: {
  store: string;
  control: string;
  variant: string;
  guardrails?: string;
  /** The route's `rollout:` (flow style), e.g. `{ steps: [10, 50], minBake: 1s }`. */
  rollout?: string;
  extra?: string;
}): (p: ReplicaPorts) => string {
  return ({ listen, admin }) => `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: ${o.store}
log: { level: warn, access: false }
drainTimeout: 1s
upstreams: { control: ${o.control}, variant: ${o.variant} }
${o.extra ?? ''}
routes:
  - name: checkout
    arms: { control: control, variant: variant }
    sticky: [header:x-user-id]
    ${o.rollout ? `rollout: ${o.rollout}` : 'split: { variant: 20 }'}   # a rollout sets the weights itself (split beside it is an error)
    guardrails: ${o.guardrails ? o.guardrails.replace(/^\{/, '{ clientCap: 0, ') : '{ clientCap: 0 }'}
`;
}

/**
 * Sends `n` GETs of `/`, `batch` at a time, round-robin over `to`, user ids u<from>…u<from+n-1>; resolves
 * once every response is read.
 * @example await driveReplicas(replicas, 600, 0)
 */
export async function driveReplicas(to: readonly Replica[], n: number, from: number, batch = 20): Promise<void> {
  const pools = to.map((r) => new Pool(r.url, { connections: 4 }));
  for (let i = 0; i < n; i += batch)
    await Promise.all(
      Array.from({ length: Math.min(batch, n - i) }, async (_, j) => {
        const res = await pools[(i + j) % pools.length]!.request({
          path: '/',
          method: 'GET',
          headers: { 'x-user-id': `u${from + i + j}` },
        });
        await res.body.text();
      }),
    );
  await Promise.all(pools.map((p) => p.close()));
}

/** Requests in the guardrail evidence of the fleet test route's first variant and control, as `r` sees them. */
export async function replicaEvidence(r: Replica): Promise<number> {
  type Status = { routes: { variants: { evidence: { variant: { requests: number }; control: { requests: number } } }[] }[] };
  const v = (await r.admin<Status>('/status')).body.routes[0]!.variants[0]!;
  return v.evidence.variant.requests + v.evidence.control.requests;
}

/**
 * `r`'s evidence once it holds some and two reads 1.5 s apart (more than a fleet tick) agree.
 * @example const base = await settledEvidence(decider)
 */
export function settledEvidence(r: Replica): Promise<number> {
  return eventually(
    async () => {
      const a = await replicaEvidence(r);
      await new Promise((done) => setTimeout(done, 1500));
      return a > 0 && (await replicaEvidence(r)) === a ? a : undefined;
    },
    30_000,
    'the evidence to settle',
  );
}
