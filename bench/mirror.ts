/**
 * Mirroring bench ("Dark launches"): what sending every request to a shadow costs the client, and what a
 * slow or dead shadow costs in latency and memory. Four scenarios, measured in one run against the same
 * primary and reported as ratios to the first:
 *
 *   baseline        Fieldlab, one route, no shadow
 *   mirror-healthy  + shadow: [{ to: dark, percent: 100 }], dark = a second instance of the primary
 *   mirror-slow     the shadow answers after 2 s (default shadow settings: concurrency 64, queue 256,
 *                   timeout 5s, so the queue fills and drops kick in)
 *   mirror-dead     the shadow accepts and never answers
 *   mirror-big-5mib / mirror-big-50mib   the shadow answers 5 / 50 MiB; Fieldlab reads only compare.maxBody
 *
 * Run it (it is not an npm script; `npm run bench` stays the proxy comparison):
 *
 *   npm run build && node dist/bench/mirror.js            # 2 s warmup + 10 s per scenario, about a minute
 *   node dist/bench/mirror.js --duration 5 --passes 2     # second pass in reverse order, averaged
 *   options: --duration S --warmup S --connections N --passes 1-20 --users N --json --only a,b
 *
 * Every server is its own process (primary, shadow, Fieldlab via `dist/src/cli/main.js start --no-watch`,
 * autocannon in this one), started per scenario and stopped after it. Before load each Fieldlab must
 * return the primary's exact body. Per scenario: 2xx req/s, p50/p99 from the 10 µs histogram, Fieldlab's
 * RSS every 500 ms from readiness to the end of the load, and admin `GET /mirror` counters right after
 * the load. Targets: healthy throughput ≥ 0.65× baseline (issue 13); slow and dead p99 ≤ 1.10× baseline; slow and
 * dead RSS peak within baseline + (concurrency + queue) × (request copy + capture caps), computed from
 * the live config. On a 2-core box four busy processes share two cores: compare ratios, not absolutes,
 * and mind the load average printed with them. Progress goes to stderr, the report (markdown, or JSON
 * with --json) to stdout. Every child is killed on exit, error or Ctrl-C; a hard deadline stops a
 * wedged run; a scenario that fails to start is reported and the others still run.
 */
import os from 'node:os';
import { installCleanup, type Child } from './lib/children.js';
import { watchCpu } from './lib/cpu.js';
import { startFieldlab, type RunningFieldlab } from './lib/fieldlab.js';
import { PATH, runLoad } from './lib/load.js';
import { parseMirrorOptions, type MirrorOptions } from './lib/mirror-args.js';
import {
  RSS_INTERVAL_MS,
  markdown,
  summarise,
  verdicts,
  type MirrorReport,
  type ScenarioOutcome,
  type ScenarioPass,
} from './lib/mirror-report.js';
import { mirrorConfig, startShadow, type ScenarioName } from './lib/mirror-scenarios.js';
import { readMirror, readShadowLimits, shadowReceived, type ShadowLimits } from './lib/mirror-stats.js';
import { STARTUP_TIMEOUT_MS, startUpstream } from './lib/peers.js';
import { fetchOnce, preflight } from './lib/preflight.js';
import { machineInfo } from './lib/report.js';
import { sampleRss, type RssReport } from './lib/rss.js';

const log = (msg: string): void => void process.stderr.write(`bench: ${msg}\n`);

/** Everything a run can take, with slack (two startups, the load, stops and admin reads per scenario). */
function deadlineMs(o: MirrorOptions): number {
  const perScenario = (2 * STARTUP_TIMEOUT_MS) / 1000 + o.warmupS + o.durationS + 30;
  return (o.passes * o.only.length * perScenario + 30) * 1000;
}

type Server = { child: Child; port: number };

/** Starts the scenario's shadow and Fieldlab, measures, stops both; times Fieldlab's graceful stop. */
async function measure(name: ScenarioName, primary: Server, expected: Buffer, o: MirrorOptions): Promise<ScenarioPass> {
  const loadavg1m = round2(os.loadavg()[0]!);
  const shadow = await startShadow(name);
  try {
    const fl = await startFieldlab(primary.port, STARTUP_TIMEOUT_MS, {
      config: (slots) => mirrorConfig(slots, primary.port, shadow?.port),
      args: ['--no-watch'],
    });
    let pass: ScenarioPass;
    try {
      pass = await drive(fl, primary, shadow, expected, o, loadavg1m);
    } catch (err) {
      await fl.stop();
      throw err;
    }
    // SIGTERM with shadow requests still queued or hanging: a clean exit, not the SIGKILL after 3 s.
    const t0 = performance.now();
    await fl.stop();
    pass.shutdown = { exit: await fl.child.exited, ms: Math.round(performance.now() - t0) };
    return pass;
  } finally {
    await shadow?.child.stop();
  }
}

/** Preflight, warmup, then the measured run with RSS and CPU watched; counters read right after. */
async function drive(
  fl: RunningFieldlab,
  primary: Server,
  shadow: Server | undefined,
  expected: Buffer,
  o: MirrorOptions,
  loadavg1m: number,
): Promise<ScenarioPass> {
  const sampler = sampleRss(fl.child.proc.pid!, RSS_INTERVAL_MS);
  let rss: RssReport | undefined;
  try {
    await preflight(fl.port, PATH, expected);
    let limits: ShadowLimits | undefined;
    if (shadow)
      limits = await readShadowLimits(fl.adminPort).catch((err: unknown) => void log(`  shadow limits unreadable: ${message(err)}`));
    const load = { port: fl.port, connections: o.connections, users: o.users };
    if (o.warmupS > 0) await runLoad({ ...load, durationS: o.warmupS });
    // autocannon runs in this process, so "loader" is this pid.
    const pids: Record<string, number> = { fieldlab: fl.child.proc.pid!, primary: primary.child.proc.pid!, loader: process.pid };
    if (shadow) pids.shadow = shadow.child.proc.pid!;
    const cpuWatch = watchCpu(pids);
    const result = await runLoad({ ...load, durationS: o.durationS });
    const used = cpuWatch.stop();
    const mirror = await readMirror(fl.adminPort).catch((err: unknown) => message(err));
    rss = sampler.stop();
    const pass: ScenarioPass = { load: result, rss, loadavg1m, mirror };
    if (used) pass.cpu = used;
    if (limits) pass.limits = limits;
    if (shadow) pass.shadowReceived = await shadowReceived(shadow.port).catch(() => Number.NaN);
    return pass;
  } finally {
    if (!rss) sampler.stop();
  }
}

function message(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function round2(v: number): number {
  return Math.round(v * 100) / 100;
}

async function main(): Promise<void> {
  const o = parseMirrorOptions(process.argv.slice(2));
  installCleanup(deadlineMs(o));
  const machine = machineInfo(); // before our own children add to the load average
  const upstream = await startUpstream();
  log(`primary upstream on 127.0.0.1:${upstream.port}`);
  const expected = (await fetchOnce(upstream.port, PATH, {})).body;

  const outcomes = new Map<ScenarioName, ScenarioOutcome>(o.only.map((name) => [name, { name, passes: [] }]));
  for (let pass = 0; pass < o.passes; pass++) {
    const order = pass % 2 === 0 ? o.only : [...o.only].reverse();
    for (const name of order) {
      const outcome = outcomes.get(name)!;
      if (outcome.failure) continue;
      log(`pass ${pass + 1}/${o.passes}: ${name} (${o.warmupS} s warmup + ${o.durationS} s, load ${os.loadavg()[0]!.toFixed(2)})`);
      try {
        const p = await measure(name, upstream, expected, o);
        outcome.passes.push(p);
        const d =
          typeof p.mirror === 'string'
            ? `GET /mirror failed: ${p.mirror}`
            : `mirror sent ${p.mirror.dispatcher.sent}, dropped ${p.mirror.dispatcher.dropped}`;
        log(
          `  ${Math.round(p.load.rps)} req/s, p99 ${p.load.p99.toFixed(2)} ms, ${p.load.non2xx} non-2xx, ${p.load.errors} errors; RSS peak ${p.rss.peakMiB} MiB; ${d}`,
        );
      } catch (err) {
        outcome.failure = message(err);
        log(`  ${name} failed: ${outcome.failure.split('\n')[0]}`);
      }
    }
  }
  await upstream.child.stop();

  const all = o.only.map((n) => outcomes.get(n)!);
  const summaries = all.filter((x) => x.passes.length > 0).map(summarise);
  const report: MirrorReport = { machine, options: o, outcomes: all, summaries, targets: verdicts(summaries, all) };
  const text = o.json ? JSON.stringify(report, null, 2) + '\n' : markdown(report);
  // Exit explicitly: an autocannon timer or a half-closed socket must not keep a finished bench alive.
  process.stdout.write(text, () => process.exit(0));
}

main().catch((err: unknown) => {
  log(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
