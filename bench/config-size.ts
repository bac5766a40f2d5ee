/**
 * Cost as the config grows: Fieldlab's throughput and CPU per request with 1 / 100 / 1,000 routes (the
 * matched route listed last), 2 / 8 arms, 10 / 60 request headers, 1 KiB / 1 MiB response bodies and
 * 64 / 256 / 1,024 connections. Each scenario changes one thing from the baseline (1 route, 2 arms, 10
 * headers, 1 KiB, 64 connections) and is reported against it, measured in the same run; the 1 MiB
 * scenario, the 60-header one and the baseline are also run through the bare undici proxy on the same
 * upstream (rows `undici …`), so what any Node proxy pays for them shows apart from Fieldlab's. Access log on, guardrails on: the production config of bench/proxy.ts.
 *
 *   npm run build && node dist/bench/config-size.js --duration 8
 *   options: --duration S --warmup S --only baseline,routes-1000,… --json
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { int } from './lib/args.js';
import { installCleanup, spawnNode, waitForPortLine, type Child } from './lib/children.js';
import { watchCpu } from './lib/cpu.js';
import { startFieldlab } from './lib/fieldlab.js';
import { PATH, runLoad } from './lib/load.js';
import { BENCH_DIR } from './lib/paths.js';
import { startPeer, startUpstream, STARTUP_TIMEOUT_MS } from './lib/peers.js';

const log = (msg: string): void => void process.stderr.write(`config-size: ${msg}\n`);

/** One scenario: the baseline with one dimension changed. */
interface Scenario {
  name: string;
  routes: number;
  arms: number;
  headers: number;
  bigBody: boolean;
  connections: number;
}

const BASE: Scenario = { name: 'baseline', routes: 1, arms: 2, headers: 10, bigBody: false, connections: 64 };
const SCENARIOS: Scenario[] = [
  BASE,
  { ...BASE, name: 'routes-100', routes: 100 },
  { ...BASE, name: 'routes-1000', routes: 1000 },
  { ...BASE, name: 'arms-8', arms: 8 },
  { ...BASE, name: 'headers-60', headers: 60 },
  { ...BASE, name: 'body-1mib', bigBody: true },
  { ...BASE, name: 'conns-256', connections: 256 },
  { ...BASE, name: 'conns-1024', connections: 1024 },
];

/**
 * Scenarios also run through the bare undici proxy, on the same upstream and load: what the request
 * headers, a 1 MiB body or many client connections cost any Node proxy, apart from what they cost
 * Fieldlab. Route and arm counts mean nothing to it. (Until 2026-12-04 it answered nothing from 256
 * connections: it never aborted an exchange whose client had hung up, so each run leaked paused pool
 * connections; see peers/undici-proxy.ts.)
 */
const WITH_UNDICI = new Set(['baseline', 'headers-60', 'body-1mib', 'conns-256', 'conns-1024']);

/** The production bench config, with `routes - 1` unmatched routes before the matched one and `arms` arms. */
function yaml(s: Scenario, listen: number, admin: number, upstream: number): string {
  const armNames = Array.from({ length: s.arms }, (_, i) => (i === 0 ? 'control' : `v${i}`));
  // Each variant must fit its lane (100 / variants): 12% each for 7 variants, 50% for one.
  const pct = s.arms === 2 ? 50 : Math.floor(100 / (s.arms - 1)) - 2;
  const filler = Array.from(
    { length: s.routes - 1 },
    (_, i) => `  - name: filler-${i}\n    match: { path: /svc-${i}/* }\n    arms: { control: control }\n`,
  ).join('');
  return `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: "sqlite::memory:"
log: { level: info, access: true }
drainTimeout: 2s
upstreams:
${armNames.map((a) => `  ${a}: http://127.0.0.1:${upstream}`).join('\n')}
routes:
${filler}  - name: bench
    match: { path: /api/* }
    arms: { ${armNames.map((a) => `${a}: ${a}`).join(', ')} }
    split: { ${armNames
      .slice(1)
      .map((a) => `${a}: ${pct}`)
      .join(', ')} }
    sticky: [header:x-user-id]
    guardrails:
      slo: { availability: 99.9%, latency: { p99: 800ms } }
      onBreach: alert
`;
}

/** `n` request headers in all (x-user-id, host and autocannon's own count towards it). */
function headers(n: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < Math.max(0, n - 3); i++) out[`x-extra-${i}`] = `value-${i}-${'v'.repeat(16)}`;
  return out;
}

interface Row {
  name: string;
  rps: number;
  p99: number;
  cpuUs: number;
  errors: number;
  non2xx: number;
}

async function measure(peerPort: number, pid: number, s: Scenario, durationS: number, warmupS: number): Promise<Omit<Row, 'name'>> {
  const load = { port: peerPort, connections: s.connections, users: 1000, headers: headers(s.headers) };
  if (warmupS > 0) await runLoad({ ...load, durationS: warmupS });
  const cpu = watchCpu({ proxy: pid });
  const r = await runLoad({ ...load, durationS });
  const used = cpu.stop();
  const n = Math.max(1, r.ok + r.non2xx);
  return {
    rps: r.rps,
    p99: r.p99,
    cpuUs: used ? ((used.byName.proxy ?? Number.NaN) * 1e6) / n : Number.NaN,
    errors: r.errors,
    non2xx: r.non2xx,
  };
}

async function startBig(): Promise<{ child: Child; port: number }> {
  const child = spawnNode('big-upstream', [join(BENCH_DIR, 'big-upstream.js'), '--mib', '1']);
  return { child, port: await waitForPortLine(child, STARTUP_TIMEOUT_MS) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '8' },
      warmup: { type: 'string', default: '2' },
      only: { type: 'string' },
      json: { type: 'boolean', default: false },
    },
  });
  const durationS = int('duration', values.duration, 1, 600);
  const warmupS = int('warmup', values.warmup, 0, 60);
  const only = values.only?.split(',');
  const scenarios = SCENARIOS.filter((s) => !only || only.includes(s.name) || s === BASE);
  installCleanup((scenarios.length + 1) * (durationS + warmupS + 60) * 2000 + 120_000);
  const small = await startUpstream();
  const big = scenarios.some((s) => s.bigBody) ? await startBig() : undefined;
  const rows: Row[] = [];
  for (const s of scenarios) {
    const upstream = s.bigBody ? big! : small;
    log(
      `${s.name}: ${s.routes} routes, ${s.arms} arms, ${s.headers} headers, ${s.bigBody ? '1 MiB' : '1 KiB'}, ${s.connections} connections`,
    );
    const fl = await startFieldlab(upstream.port, STARTUP_TIMEOUT_MS, {
      config: ({ listen, admin }) => yaml(s, listen, admin, upstream.port),
      // Access lines are info: at warn pino dropped them unbuilt. They go to a file, as in production.
      accessLog: true,
    });
    try {
      const r = await measure(fl.port, fl.child.proc.pid!, s, durationS, warmupS);
      rows.push({ name: s.name, ...r });
      log(
        `  ${Math.round(r.rps)} req/s, p99 ${r.p99.toFixed(1)} ms, ${r.cpuUs.toFixed(1)} µs/req, ${r.errors} errors, ${r.non2xx} non-2xx`,
      );
    } finally {
      await fl.stop();
    }
    if (WITH_UNDICI.has(s.name)) {
      const undici = await startPeer('undici', upstream.port);
      try {
        const r = await measure(undici.port, undici.pid!, s, durationS, warmupS);
        rows.push({ name: `undici ${s.name}`, ...r });
        log(`  undici: ${Math.round(r.rps)} req/s, ${r.cpuUs.toFixed(1)} µs/req`);
      } finally {
        await undici.stop();
      }
    }
  }
  await small.child.stop();
  await big?.child.stop();
  const base = rows[0]!;
  const out = values.json
    ? `${JSON.stringify(rows, null, 2)}\n`
    : [
        `# Fieldlab config-size bench (${durationS} s per scenario after ${warmupS} s warmup; GET ${PATH})`,
        '',
        '| scenario | req/s | p99 ms | CPU µs/req | req/s vs baseline | CPU/req vs baseline | errors | non-2xx |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
        ...rows.map(
          (r) =>
            `| ${r.name} | ${Math.round(r.rps)} | ${r.p99.toFixed(1)} | ${r.cpuUs.toFixed(1)} | ${(r.rps / base.rps).toFixed(2)}× | ${(r.cpuUs / base.cpuUs).toFixed(2)}× | ${r.errors} | ${r.non2xx} |`,
        ),
        '',
      ].join('\n');
  process.stdout.write(out, () => process.exit(0));
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
