/**
 * bench/workers: throughput and CPU per request of `fieldlab start --workers 2` against one process,
 * same route (match + sticky 50/50 split), same ~1 KiB upstream, same load generator, measured in
 * the same run, alternating 1, 2, 1, 2 … so neighbours' load hits both alike. Every process is real:
 * the upstream, Fieldlab (the primary and its workers), autocannon in this process.
 *
 * On a machine with C cores the load generator and the upstream take their share too, so the
 * ratio here is a floor for what N workers give when the proxy has the cores to itself.
 *
 * Usage: npm run bench:workers [-- --trials 3 --duration 8 --connections 64]
 */
import http from 'node:http';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { int } from './lib/args.js';
import { watchCpu } from './lib/cpu.js';
import { startFieldlab } from './lib/fieldlab.js';
import { runLoad, type LoadResult } from './lib/load.js';
import { startUpstream } from './lib/peers.js';
import { installCleanup } from './lib/children.js';

const { values } = parseArgs({
  options: {
    trials: { type: 'string', default: '3' },
    duration: { type: 'string', default: '8' },
    connections: { type: 'string', default: '64' },
  },
});
const TRIALS = int('trials', values.trials, 1, 100);
const DURATION_S = int('duration', values.duration, 1, 600);
const CONNECTIONS = int('connections', values.connections, 1, 10_000);
const USERS = 1000;
const log = (s: string) => process.stderr.write(`${s}\n`);

interface Trial {
  workers: number;
  load: LoadResult;
  /** CPU seconds of every Fieldlab process (primary and workers). */
  fieldlabCpuS: number;
  /** CPU seconds of the machine not ours (neighbours). */
  foreignS: number;
  /** Requests each worker served (by its metrics). */
  perWorker: number[];
}

function getText(port: number, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port, path, agent: false, timeout: 5000 }, (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

async function trial(workers: number, upstreamPort: number): Promise<Trial> {
  const fl = await startFieldlab(upstreamPort, 30_000, {
    args: workers > 1 ? ['--workers', String(workers), '--no-watch'] : ['--no-watch'],
  });
  try {
    const pids: Record<string, number> = { fieldlab: fl.child.proc.pid! };
    if (workers > 1) {
      const w = JSON.parse(await getText(fl.adminPort, '/workers')) as { workers: { index: number; pid: number }[] };
      for (const x of w.workers) pids[`worker${x.index}`] = x.pid;
    }
    await runLoad({ port: fl.port, durationS: 2, connections: CONNECTIONS, users: USERS }); // warm-up
    const cpu = watchCpu(pids);
    const load = await runLoad({ port: fl.port, durationS: DURATION_S, connections: CONNECTIONS, users: USERS });
    const used = cpu.stop();
    // Metrics are pushed once a second: wait for the last push before reading per-worker counts.
    await new Promise((r) => setTimeout(r, 1500));
    const metrics = await getText(fl.adminPort, '/metrics');
    const perWorker: number[] = [];
    for (const m of metrics.matchAll(/^fieldlab_requests_total\{worker="(\d+)",[^}]*\} (\d+)$/gm))
      perWorker[Number(m[1]) - 1] = (perWorker[Number(m[1]) - 1] ?? 0) + Number(m[2]);
    return {
      workers,
      load,
      fieldlabCpuS: used ? Object.values(used.byName).reduce((a, b) => a + b, 0) : Number.NaN,
      foreignS: used?.foreignS ?? Number.NaN,
      perWorker,
    };
  } finally {
    await fl.stop();
  }
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  installCleanup(15 * 60_000);
  const upstream = await startUpstream();
  log(
    `upstream on 127.0.0.1:${upstream.port}; ${availableParallelism()} cores; ${TRIALS} trials × ${DURATION_S} s × ${CONNECTIONS} connections`,
  );
  const trials: Trial[] = [];
  for (let i = 0; i < TRIALS; i++) {
    for (const workers of [1, 2]) {
      const t = await trial(workers, upstream.port);
      trials.push(t);
      log(
        `  trial ${i + 1}, ${workers} worker(s): ${Math.round(t.load.rps)} req/s, p99 ${t.load.p99.toFixed(1)} ms, ` +
          `${((t.fieldlabCpuS / (t.load.ok + t.load.non2xx)) * 1e6).toFixed(0)} µs CPU/req, errors ${t.load.errors}` +
          (t.perWorker.length ? `, per worker ${t.perWorker.join('/')}` : ''),
      );
    }
  }
  await upstream.child.stop();
  const row = (workers: number) => {
    const ts = trials.filter((t) => t.workers === workers);
    return {
      rps: median(ts.map((t) => t.load.rps)),
      p99: median(ts.map((t) => t.load.p99)),
      cpuPerReqUs: median(ts.map((t) => (t.fieldlabCpuS / Math.max(1, t.load.ok + t.load.non2xx)) * 1e6)),
      foreignS: median(ts.map((t) => t.foreignS)),
      errors: ts.reduce((n, t) => n + t.load.errors + t.load.non2xx, 0),
    };
  };
  const one = row(1);
  const two = row(2);
  const out = {
    cores: availableParallelism(),
    trials: TRIALS,
    durationS: DURATION_S,
    connections: CONNECTIONS,
    one,
    two,
    ratio: two.rps / one.rps,
  };
  process.stdout.write(
    `| workers | req/s (median) | p99 ms | Fieldlab CPU µs/req | errors |\n| --- | --- | --- | --- | --- |\n` +
      `| 1 | ${Math.round(one.rps)} | ${one.p99.toFixed(1)} | ${one.cpuPerReqUs.toFixed(0)} | ${one.errors} |\n` +
      `| 2 | ${Math.round(two.rps)} | ${two.p99.toFixed(1)} | ${two.cpuPerReqUs.toFixed(0)} | ${two.errors} |\n` +
      `throughput ratio 2 workers / 1: ${out.ratio.toFixed(2)}×\n${JSON.stringify(out)}\n`,
  );
}

void main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
