/** Starts the real Fieldlab CLI against the bench upstream, with a route that exercises sticky splitting. */
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnNode, type Child } from './children.js';
import { freePort } from './free-port.js';
import { FIELDLAB_CLI, ROOT } from './paths.js';

/** A running Fieldlab; `stop` also removes its temp config dir. */
export interface RunningFieldlab {
  child: Child;
  port: number;
  adminPort: number;
  stop(): Promise<void>;
}

/** Ports and the temp dir a config is written for. */
export interface ConfigSlots {
  listen: number;
  admin: number;
  /** Fresh temp dir, removed on stop: a place for a SQLite file. */
  dir: string;
}

/** Another bench's Fieldlab: its own YAML and extra CLI args (e.g. `--no-watch`). */
export interface FieldlabOptions {
  config?: (slots: ConfigSlots) => string;
  args?: string[];
  /** The default config with access logs on (a production setting); stdout then goes to a file. */
  accessLog?: boolean;
  /** Extra node flags before the CLI script (e.g. `--inspect`). */
  nodeFlags?: string[];
  /** The .cpuprofile's name under BENCH_CPU_PROF (default `fieldlab`). */
  profileName?: string;
}

/**
 * `BENCH_CPU_PROF=DIR` profiles every proxy peer and every bench's Fieldlab (`node --cpu-prof`), one
 * .cpuprofile per run in DIR, so Fieldlab and the bare undici proxy are profiled under the same load.
 */
export function profileFlags(name: string): string[] {
  const dir = process.env.BENCH_CPU_PROF;
  return dir ? ['--cpu-prof', '--cpu-prof-dir', dir, '--cpu-prof-name', `${name}-${Date.now()}.cpuprofile`] : [];
}

/** Temp dirs of running Fieldlabs, removed synchronously if the bench exits (Ctrl-C, deadline) first. */
const liveDirs = new Set<string>();
let exitHook = false;

function trackDir(dir: string): void {
  if (!exitHook) {
    exitHook = true;
    process.on('exit', () => liveDirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  }
  liveDirs.add(dir);
}

/**
 * What a production user keeps on: route matching, a 50/50 sticky split on x-user-id (so every request
 * pays for the match, the key extraction, the hash and the arm assignment), guardrails on the route,
 * metrics and rollups (always on), and, with `access`, one access-log line per request. Access lines are
 * logged at `info`, so that peer runs at `log.level: info` (at `warn` pino drops them before building
 * them, and the "access log" peer measured none). Both arms point at the same upstream so the split
 * itself cannot change the upstream's cost.
 */
function configYaml(listen: number, admin: number, upstream: number, access: boolean): string {
  return `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: "sqlite::memory:"
log: { level: ${access ? 'info' : 'warn'}, access: ${access} }
drainTimeout: 2s
upstreams:
  control: http://127.0.0.1:${upstream}
  variant: http://127.0.0.1:${upstream}
routes:
  - name: bench
    match: { path: /api/* }
    arms: { control: control, variant: variant }
    split: { variant: 50 }
    sticky: [header:x-user-id]
    guardrails:
      slo: { availability: 99.9%, latency: { p99: 800ms } }
      onBreach: alert
`;
}

/**
 * Writes the config to a temp dir, spawns `node dist/src/cli/main.js start --config …` and waits for the
 * admin `/readyz` to answer 200. Rejects (after killing the child) if it exits or isn't ready in time.
 *
 * @example
 * const fl = await startFieldlab(upstreamPort, 15_000);
 * const mirrored = await startFieldlab(upstreamPort, 15_000, { config: ({ listen, admin, dir }) => yaml, args: ['--no-watch'] });
 */
export async function startFieldlab(upstreamPort: number, timeoutMs: number, opts: FieldlabOptions = {}): Promise<RunningFieldlab> {
  if (!existsSync(FIELDLAB_CLI)) throw new Error(`Fieldlab CLI not built: ${FIELDLAB_CLI} is missing`);
  const dir = await mkdtemp(join(tmpdir(), 'fieldlab-bench-'));
  trackDir(dir);
  const [port, adminPort] = [await freePort(), await freePort()];
  const config = join(dir, 'fieldlab.yaml');
  const text = opts.config
    ? opts.config({ listen: port, admin: adminPort, dir })
    : configYaml(port, adminPort, upstreamPort, !!opts.accessLog);
  await writeFile(config, text);
  // Access lines go to a file, as they would in production; the parent reading them would cost the loader.
  const out = opts.accessLog ? openSync(join(dir, 'stdout.log'), 'w') : undefined;
  const args = [
    ...profileFlags(opts.profileName ?? 'fieldlab'),
    ...(opts.nodeFlags ?? []),
    FIELDLAB_CLI,
    'start',
    '--config',
    config,
    ...(opts.args ?? []),
  ];
  const child = spawnNode('fieldlab', args, ROOT, out);
  if (out !== undefined) closeSync(out);
  const stop = async (): Promise<void> => {
    await child.stop();
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  };
  try {
    await waitReady(child, adminPort, timeoutMs);
  } catch (err) {
    await stop();
    throw err;
  }
  return { child, port, adminPort, stop };
}

async function waitReady(child: Child, adminPort: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  void child.exited.then((how) => (exited = how));
  while (Date.now() < deadline) {
    if (exited !== undefined) throw new Error(`fieldlab exited (${exited}) during startup\n${child.tail()}`);
    if ((await probe(adminPort)) === 200) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`fieldlab not ready: /readyz on admin port ${adminPort} gave no 200 within ${timeoutMs} ms\n${child.tail()}`);
}

/** One GET /readyz; 0 on any connection error. `agent: false` so no socket outlives the probe. */
function probe(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = http.get({ host: '127.0.0.1', port, path: '/readyz', agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}
