/**
 * Proxy benchmark: Fieldlab against bare undici, http-proxy and the upstream direct, all measured in the
 * same run and reported as ratios, because absolute req/s don't transfer between machines and ratios
 * mostly do.
 *
 *   npm run bench                                   # build, then 2 s warmup + 10 s per peer
 *   node dist/bench/proxy.js --duration 3 --only direct,undici,http-proxy
 *   node dist/bench/proxy.js --passes 2 --json      # second pass in reverse order, averaged; JSON out
 *   node dist/bench/proxy.js --passes 8 --duration 4  # many short passes: per-pass ratios, their median (noisy machines)
 *   node dist/bench/proxy.js --only fieldlab --rss 60   # plus a 60 s Fieldlab-only RSS run
 *   options: --duration S --warmup S --connections N --passes 1-20 --users N --rss S --only a,b --json
 *
 * What it measures: every component is its own process (a ~1 KiB JSON upstream, each proxy, and
 * autocannon in this process), so each proxy gets a core and doesn't share one with the load generator.
 * autocannon sends GET /api/items/1 with pipelining 1, rotating x-user-id over --users values so Fieldlab's
 * route match, sticky hash and 50/50 arm assignment run on every request (the upstream counts the
 * x-fieldlab-arm it receives, and the report shows the split). Before any load each peer must return the
 * upstream's exact body (preflight), so a fast wrong answer can't win. Throughput counts 2xx only;
 * latency comes from a 10 µs histogram of 2xx responses. CPU per request comes from each process's own
 * counters (/proc/PID/stat: utime+stime over the measured run, divided by the answered requests): the
 * proxy's, the upstream's and the loader's, plus the busy cores nobody in the bench used (the neighbours).
 * On a shared machine the proxy's µs/req is the stable number; req/s moves with the neighbours.
 * `BENCH_CPU_PROF=DIR` also writes a --cpu-prof profile of every proxy peer into DIR. Peers are started one at a time and stopped after
 * their run, so an idle peer never steals CPU from a measured one. On a 2-core box the loader, the proxy
 * and the upstream still contend for cores: compare ratios, not absolutes. Progress goes to stderr, the
 * report (markdown, or JSON with --json) to stdout. Every child is killed on exit, error or Ctrl-C, and a
 * hard deadline stops a wedged run.
 */
import { parseOptions, type BenchOptions } from './lib/args.js';
import { installCleanup } from './lib/children.js';
import { type CpuReport, watchCpu } from './lib/cpu.js';
import { PATH, runLoad, type LoadResult, type RunCpu } from './lib/load.js';
import { PEERS, STARTUP_TIMEOUT_MS, startPeer, startUpstream, type PeerName } from './lib/peers.js';
import { machineInfo, markdown, summarise, verdicts, type PeerOutcome, type Report } from './lib/report.js';
import { pairedRatios } from './lib/paired.js';
import { fetchOnce, preflight } from './lib/preflight.js';
import { sampleRss } from './lib/rss.js';

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

/** Everything a run can take, with slack; past it the run is killed rather than left hanging. */
function deadlineMs(o: BenchOptions): number {
  const perPeer = STARTUP_TIMEOUT_MS / 1000 + o.warmupS + o.durationS + 25;
  const rss = o.rssS > 0 ? STARTUP_TIMEOUT_MS / 1000 + o.rssS + 25 : 0;
  return (o.passes * o.peers.length * perPeer + rss + 30) * 1000;
}

/** Starts one peer, warms it, measures it, stops it. Throws if any step fails. */
async function measure(name: PeerName, upstream: Upstream, expected: Buffer, o: BenchOptions): Promise<LoadResult> {
  const peer = await startPeer(name, upstream.port);
  try {
    await preflight(peer.port, PATH, expected);
    const load = { port: peer.port, connections: o.connections, users: o.users };
    if (o.warmupS > 0) await runLoad({ ...load, durationS: o.warmupS });
    await armCounts(upstream.port); // reset: count the measured run only
    const pids: Record<string, number> = { upstream: upstream.pid, loader: process.pid };
    if (peer.pid !== undefined) pids.proxy = peer.pid;
    const cpuWatch = watchCpu(pids);
    const result = await runLoad({ ...load, durationS: o.durationS });
    const used = cpuWatch.stop();
    const arms = await armCounts(upstream.port);
    return used ? { ...result, arms, cpu: perRequest(used, result.ok + result.non2xx) } : { ...result, arms };
  } finally {
    await peer.stop();
  }
}

/** The shared origin server: where it listens and the pid its CPU is read from. */
interface Upstream {
  port: number;
  pid: number;
}

/** The watched CPU seconds as µs per answered request. */
function perRequest(used: CpuReport, requests: number): RunCpu {
  const us = (s: number | undefined): number => ((s ?? Number.NaN) * 1e6) / Math.max(1, requests);
  return {
    proxyUs: used.byName.proxy === undefined ? undefined : us(used.byName.proxy),
    upstreamUs: us(used.byName.upstream),
    loaderUs: us(used.byName.loader),
    foreignCores: used.foreignS / used.wallS,
  };
}

/** A fresh Fieldlab under load for --rss seconds, its RSS sampled every second. */
async function rssRun(upstreamPort: number, o: BenchOptions): Promise<NonNullable<Report['rss']>> {
  try {
    const peer = await startPeer('fieldlab', upstreamPort);
    try {
      const sampler = sampleRss(peer.pid!, 1000);
      const load = await runLoad({ port: peer.port, connections: o.connections, users: o.users, durationS: o.rssS });
      return { ...sampler.stop(), load: summarise({ name: 'fieldlab', passes: [load] }) };
    } finally {
      await peer.stop();
    }
  } catch (err) {
    return { failure: message(err) };
  }
}

/** Reads and resets the upstream's per-arm request counts. */
async function armCounts(upstreamPort: number): Promise<Record<string, number>> {
  return JSON.parse((await fetchOnce(upstreamPort, '/__arms', {})).body.toString('utf8')) as Record<string, number>;
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

async function main(): Promise<void> {
  const o = parseOptions(process.argv.slice(2));
  installCleanup(deadlineMs(o));
  const machine = machineInfo(); // before our own children add to the load average
  const upstream = await startUpstream();
  const origin: Upstream = { port: upstream.port, pid: upstream.child.proc.pid! };
  log(`upstream on 127.0.0.1:${upstream.port}`);
  const expected = (await fetchOnce(upstream.port, PATH, {})).body;

  const outcomes = new Map<PeerName, PeerOutcome>(o.peers.map((name) => [name, { name, passes: [] }]));
  for (let pass = 0; pass < o.passes; pass++) {
    // Reversing every second pass cancels slow drift (heat, background load) instead of biasing late peers.
    const order = pass % 2 === 0 ? o.peers : [...o.peers].reverse();
    for (const name of order) {
      const outcome = outcomes.get(name)!;
      if (outcome.failure) continue;
      log(`pass ${pass + 1}/${o.passes}: ${name} (${o.warmupS} s warmup + ${o.durationS} s)`);
      try {
        const r = await measure(name, origin, expected, o);
        outcome.passes.push(r);
        const cpu = r.cpu?.proxyUs === undefined ? '' : `, proxy CPU ${r.cpu.proxyUs.toFixed(1)} µs/req`;
        log(`  ${Math.round(r.rps)} req/s, p99 ${r.p99.toFixed(2)} ms${cpu}, ${r.non2xx} non-2xx, ${r.errors} errors`);
      } catch (err) {
        outcome.failure = message(err);
        log(`  ${name} failed: ${outcome.failure.split('\n')[0]}`);
      }
    }
  }

  let rss: Report['rss'];
  if (o.rssS > 0) {
    log(`RSS run: fieldlab under load for ${o.rssS} s`);
    rss = await rssRun(upstream.port, o);
  }
  await upstream.child.stop();

  const measured = PEERS.flatMap((n) => {
    const out = outcomes.get(n);
    return out && !out.failure ? [summarise(out)] : [];
  });
  const failed = [...outcomes.values()].flatMap((x) => (x.failure ? [{ name: x.name, reason: x.failure }] : []));
  const report: Report = { machine, options: o, peers: measured, failed, targets: verdicts(measured, failed) };
  if (rss) report.rss = rss;
  if (o.passes > 1) report.paired = pairedRatios([...outcomes.values()], 'undici');
  const text = o.json ? JSON.stringify(report, null, 2) + '\n' : markdown(report);
  // Exit explicitly: an autocannon timer or a half-closed socket must not keep a finished bench alive.
  process.stdout.write(text, () => process.exit(0));
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
