/**
 * Recording bench ("Record and replay"): what `record:` costs the client. Three scenarios in one run
 * against the same primary, reported as ratios to the first:
 *
 *   baseline     Fieldlab, one route, no record:
 *   record-all   + record: { percent: 100, maxSamples: 10000000 } — every request captured, redacted and stored
 *   record-full  + record: { percent: 100, maxSamples: 1 } — every request captured, the store refuses (drop path)
 *
 * Run it: `npm run build && node dist/bench/record.js [--duration S] [--warmup S] [--connections N]`.
 * Every server is its own process; per scenario it prints 2xx req/s, p50/p99, Fieldlab CPU ms per
 * request, and the recorder's counters from /metrics. On a shared 2-core box compare ratios, not
 * absolutes, and mind the load average printed with them.
 */
import os from 'node:os';
import { join } from 'node:path';
import { installCleanup } from './lib/children.js';
import { watchCpu } from './lib/cpu.js';
import { startFieldlab, type ConfigSlots } from './lib/fieldlab.js';
import { PATH, runLoad } from './lib/load.js';
import { STARTUP_TIMEOUT_MS, startUpstream } from './lib/peers.js';
import { fetchOnce, preflight } from './lib/preflight.js';

const SCENARIOS = { baseline: undefined, 'record-all': 10_000_000, 'record-full': 1 } as const;
type Name = keyof typeof SCENARIOS;
const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

function config(s: ConfigSlots, primaryPort: number, maxSamples: number | undefined): string {
  return [
    `listen: 127.0.0.1:${s.listen}`,
    `admin: { listen: 127.0.0.1:${s.admin} }`,
    `store: { url: ${JSON.stringify(`sqlite:${join(s.dir, 'bench.db')}`)}, recordings: { maxSamples: 10000000, maxBytes: 4GiB } }`,
    'log: { level: warn, access: false }',
    'drainTimeout: 2s',
    `upstreams: { primary: http://127.0.0.1:${primaryPort} }`,
    'routes:',
    '  - name: bench',
    '    match: { path: /api/* }',
    '    arms: { control: primary }',
    '    sticky: [header:x-user-id]',
    ...(maxSamples === undefined ? [] : [`    record: { percent: 100, maxSamples: ${maxSamples}, maxBytes: 4GiB, maxBytesPerSecond: 0 }`]),
  ].join('\n');
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i === -1 ? fallback : Number(process.argv[i + 1]);
}

async function main(): Promise<void> {
  const durationS = arg('duration', 10);
  const warmupS = arg('warmup', 2);
  const connections = arg('connections', 50);
  installCleanup((Object.keys(SCENARIOS).length * (durationS + warmupS + 40) + 30) * 1000);
  const upstream = await startUpstream();
  const expected = (await fetchOnce(upstream.port, PATH, {})).body;
  const rows: { name: Name; rps: number; p50: number; p99: number; cpuMsPerReq: number | undefined; load: number; counters: string }[] = [];
  for (const name of Object.keys(SCENARIOS) as Name[]) {
    const load = os.loadavg()[0]!;
    log(`${name} (${warmupS} s warmup + ${durationS} s, load ${load.toFixed(2)})`);
    const fl = await startFieldlab(upstream.port, STARTUP_TIMEOUT_MS, {
      config: (s) => config(s, upstream.port, SCENARIOS[name]),
      args: ['--no-watch'],
    });
    try {
      await preflight(fl.port, PATH, expected);
      const opts = { port: fl.port, connections, users: 1000 };
      if (warmupS > 0) await runLoad({ ...opts, durationS: warmupS });
      const cpu = watchCpu({ fieldlab: fl.child.proc.pid! });
      const r = await runLoad({ ...opts, durationS });
      const used = cpu.stop();
      const metrics = await (await fetch(`http://127.0.0.1:${fl.adminPort}/metrics`)).text();
      const counters = metrics
        .split('\n')
        .filter((l) => l.startsWith('fieldlab_record_'))
        .join('; ');
      rows.push({
        name,
        rps: r.rps,
        p50: r.p50,
        p99: r.p99,
        cpuMsPerReq: used ? (used.byName.fieldlab! * 1000) / (r.ok + 1e-9) : undefined,
        load,
        counters,
      });
    } finally {
      await fl.stop();
    }
  }
  await upstream.child.stop();
  const base = rows[0]!;
  const lines = [
    `| scenario | req/s | × baseline | p50 ms | p99 ms | p99 × baseline | Fieldlab CPU ms/req | load 1m |`,
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${Math.round(r.rps)} | ${(r.rps / base.rps).toFixed(2)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${(r.p99 / base.p99).toFixed(2)} | ${r.cpuMsPerReq?.toFixed(3) ?? '–'} | ${r.load.toFixed(2)} |`,
    ),
    '',
    ...rows.filter((r) => r.counters).map((r) => `${r.name}: ${r.counters}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`, () => process.exit(0));
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
