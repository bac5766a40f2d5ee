/** Turns the mirroring bench's runs into the ratio table, the mirror counters and target verdicts. */
import type { CpuReport } from './cpu.js';
import type { LoadResult } from './load.js';
import type { MirrorOptions } from './mirror-args.js';
import type { ScenarioName } from './mirror-scenarios.js';
import { memoryBound, type MirrorCounters, type ShadowLimits } from './mirror-stats.js';
import type { RssReport } from './rss.js';
import { fmt, fmtRatio, indent } from './format.js';

/** One measured run of one scenario. */
export interface ScenarioPass {
  load: LoadResult;
  rss: RssReport;
  /** 1-min load average just before the scenario started (our previous children included). */
  loadavg1m: number;
  /** Admin `GET /mirror` right after the load stopped; a string says why it couldn't be read. */
  mirror: MirrorCounters | string;
  /** Requests the shadow process saw (warmup included); undefined for baseline. */
  shadowReceived?: number;
  limits?: ShadowLimits;
  /** CPU of fieldlab, primary, shadow, loader and everyone else over the measured run (Linux only). */
  cpu?: CpuReport;
  /** How Fieldlab's SIGTERM went: exit code (or signal) and how long it took. */
  shutdown?: { exit: string; ms: number };
}

export interface ScenarioOutcome {
  name: ScenarioName;
  passes: ScenarioPass[];
  failure?: string;
}

/** A scenario averaged over its passes; RSS peak is the highest of any pass. */
export interface ScenarioSummary {
  name: ScenarioName;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  startMiB: number;
  peakMiB: number;
  endMiB: number;
  /** Fieldlab's CPU time per 2xx response, µs (NaN without /proc): steadier than req/s on a shared box. */
  fieldlabUsPerReq: number;
  /** Highest CPU use (in cores) of processes that aren't the bench's, over its passes. */
  foreignCores: number;
  /** True when a client request failed or answered non-2xx: mirroring leaked into the client's path. */
  flagged: boolean;
}

export interface Verdict {
  target: string;
  status: 'met' | 'not met' | 'n/a';
  ratio: number | null;
  detail: string;
}

export interface MirrorReport {
  machine: Record<string, string | number>;
  options: MirrorOptions;
  outcomes: ScenarioOutcome[];
  summaries: ScenarioSummary[];
  targets: Verdict[];
}

const MiB = 1024 * 1024;
/** How often the bench samples Fieldlab's RSS. */
export const RSS_INTERVAL_MS = 500;
/** Above this many cores of other people's work a run's latencies mostly measure the neighbours. */
const FOREIGN_WARN_CORES = 0.3;
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** @example summarise({ name: 'baseline', passes: [p1] }) */
export function summarise(o: ScenarioOutcome): ScenarioSummary {
  const loads = o.passes.map((p) => p.load);
  const sum = (f: (r: LoadResult) => number): number => loads.reduce((a, r) => a + f(r), 0);
  const s = {
    name: o.name,
    rps: mean(loads.map((r) => r.rps)),
    p50: mean(loads.map((r) => r.p50)),
    p99: mean(loads.map((r) => r.p99)),
    ok: sum((r) => r.ok),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    startMiB: round1(mean(o.passes.map((p) => p.rss.startMiB))),
    peakMiB: Math.max(...o.passes.map((p) => p.rss.peakMiB)),
    endMiB: round1(mean(o.passes.map((p) => p.rss.endMiB))),
    fieldlabUsPerReq: mean(o.passes.map((p) => (p.cpu ? (p.cpu.byName.fieldlab! * 1e6) / Math.max(1, p.load.ok) : Number.NaN))),
    foreignCores: Math.max(...o.passes.map((p) => (p.cpu ? p.cpu.foreignS / p.cpu.wallS : Number.NaN))),
  };
  return { ...s, flagged: s.non2xx > 0 || s.errors > 0 || s.ok === 0 };
}

/** The targets of the "Dark launches" issue, each against baseline from the same run. */
export function verdicts(summaries: ScenarioSummary[], outcomes: ScenarioOutcome[]): Verdict[] {
  const by = (n: ScenarioName): ScenarioSummary | undefined => summaries.find((s) => s.name === n);
  const base = by('baseline');
  const missing = (n: ScenarioName): string =>
    [base ? undefined : 'baseline', by(n) ? undefined : n]
      .filter((x): x is ScenarioName => x !== undefined)
      .map((m) => (outcomes.find((o) => o.name === m)?.failure ? `${m} failed` : `${m} not run`))
      .join(', ');
  const ratio = (target: string, n: ScenarioName, metric: 'rps' | 'p99', bound: number, atLeast: boolean): Verdict => {
    const s = by(n);
    if (!base || !s) return { target, status: 'n/a', ratio: null, detail: missing(n) };
    const r = s[metric] / base[metric];
    const met = Number.isFinite(r) && (atLeast ? r >= bound : r <= bound);
    const unit = metric === 'rps' ? 'req/s' : 'ms p99';
    const kind = metric === 'rps' ? 'rps' : 'ms';
    const warn = s.flagged || base.flagged ? ' — WARNING: client errors or non-2xx in a run' : '';
    return {
      target,
      status: met ? 'met' : 'not met',
      ratio: r,
      detail: `${fmtRatio(r)} (${fmt(s[metric], kind)} vs ${fmt(base[metric], kind)} ${unit})${warn}`,
    };
  };
  const memory = (n: ScenarioName): Verdict => {
    const target = `${n} RSS peak ≤ baseline peak + (concurrency + queue) × (request copy + capture caps)`;
    const s = by(n);
    const limits = outcomes.find((o) => o.name === n)?.passes.find((p) => p.limits)?.limits;
    if (!base || !s) return { target, status: 'n/a', ratio: null, detail: missing(n) };
    if (!limits) return { target, status: 'n/a', ratio: null, detail: 'shadow limits could not be read from GET /config' };
    const bound = memoryBound(limits).bytes / MiB;
    const growth = s.peakMiB - base.peakMiB;
    return {
      target,
      status: growth <= bound ? 'met' : 'not met',
      ratio: growth / bound,
      detail: `peak ${s.peakMiB} MiB = baseline peak ${base.peakMiB} MiB ${growth >= 0 ? '+' : '−'} ${round1(Math.abs(growth))} MiB; bound ${round1(bound)} MiB`,
    };
  };
  return [
    ratio('mirror-healthy throughput ≥ 0.65× baseline', 'mirror-healthy', 'rps', 0.65, true),
    ratio('mirror-slow p99 ≤ 1.10× baseline', 'mirror-slow', 'p99', 1.1, false),
    ratio('mirror-dead p99 ≤ 1.10× baseline', 'mirror-dead', 'p99', 1.1, false),
    memory('mirror-slow'),
    memory('mirror-dead'),
  ];
}

/** The human report: machine, main table, mirror counters, targets, the memory bound explained. */
export function markdown(r: MirrorReport): string {
  const m = r.machine;
  const o = r.options;
  const out = [
    `# Fieldlab mirroring bench`,
    ``,
    `node ${m.node} · ${m.cpus} × ${m.cpuModel} · ${m.os} · ${m.memoryGiB} GiB · load ${m.loadavg1m} at start · ${m.date}`,
    `${o.connections} connections, pipelining 1, ${o.warmupS} s warmup + ${o.durationS} s per scenario, ${o.passes} pass(es), ` +
      `GET /api/items/1 rotating ${o.users} x-user-id values; one route, one arm; req/s counts 2xx only; RSS of the Fieldlab process every 500 ms from readiness to the end of the load`,
    ``,
    `| scenario | req/s | p50 ms | p99 ms | req/s vs baseline | p99 vs baseline | Fieldlab CPU µs/req | non-2xx | errors | RSS start / peak / end MiB | load 1m before |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  const base = r.summaries.find((s) => s.name === 'baseline');
  const vs = (a: number, b: number | undefined): string => (b === undefined ? 'n/a' : fmtRatio(a / b));
  for (const s of r.summaries) {
    const loads = r.outcomes
      .find((x) => x.name === s.name)!
      .passes.map((p) => p.loadavg1m)
      .join(' / ');
    out.push(
      `| ${s.name}${s.flagged ? ' ⚠' : ''} | ${fmt(s.rps, 'rps')} | ${fmt(s.p50, 'ms')} | ${fmt(s.p99, 'ms')} | ${vs(s.rps, base?.rps)} | ` +
        `${vs(s.p99, base?.p99)} | ${fmt(s.fieldlabUsPerReq, 'rps')} | ${s.non2xx} | ${s.errors} | ${s.startMiB} / ${s.peakMiB} / ${s.endMiB} | ${loads} |`,
    );
  }
  for (const f of r.outcomes.filter((x) => x.failure && x.passes.length === 0)) out.push(`| ${f.name} ✗ | failed | | | | | | | | | |`);

  out.push('', '## Mirror path (admin GET /mirror right after the load; warmup included)', '');
  out.push(
    `| scenario | pass | shadow saw | sent | completed | failed | dropped | in flight / queued | compared | compare dropped / failed | rows stored | storage dropped keys / examples / write | RSS slope 2nd half (runs ≥ 30 s) | SIGTERM → exit |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  );
  for (const x of r.outcomes) {
    x.passes.forEach((p, i) => {
      const saw = p.shadowReceived === undefined ? '–' : String(p.shadowReceived);
      // Only a long run's second half is past warm-up growth (JIT, pools, caches); a short run's slope is noise.
      const long = (p.rss.samples.length * RSS_INTERVAL_MS) / 1000 >= 30;
      const slope = long ? `${p.rss.slopeMiBPerMin} MiB/min${p.rss.flat ? '' : ' ⚠'}` : '–';
      const stop = p.shutdown ? `${p.shutdown.exit === '0' ? 'exit 0' : `${p.shutdown.exit} ⚠`} in ${p.shutdown.ms} ms` : 'n/a';
      if (typeof p.mirror === 'string') {
        out.push(`| ${x.name} | ${i + 1} | ${saw} | ✗ ${p.mirror.split('\n')[0]} | | | | | | | | | ${slope} | ${stop} |`);
        return;
      }
      const { dispatcher: d, compare: c, storage: st } = p.mirror;
      const dr = st.dropped;
      out.push(
        `| ${x.name} | ${i + 1} | ${saw} | ${d.sent} | ${d.completed} | ${d.failed} | ${d.dropped} | ${d.inFlight} / ${d.queued} | ` +
          `${c.compared} | ${c.dropped} / ${c.failed} | ${st.written} | ${dr.keys ?? 0} / ${dr.examples ?? 0} / ${dr.write ?? 0} | ${slope} | ${stop} |`,
      );
    });
  }

  out.push('', '## CPU during the measured run (cores = CPU seconds / wall seconds)', '');
  out.push(
    `| scenario | pass | Fieldlab | primary | shadow | autocannon | not the bench's | machine busy (of ${m.cpus}) |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|`,
  );
  for (const x of r.outcomes) {
    x.passes.forEach((p, i) => {
      if (!p.cpu) return void out.push(`| ${x.name} | ${i + 1} | n/a (no /proc) | | | | | |`);
      const c = (sec: number | undefined): string => (sec === undefined ? '–' : (sec / p.cpu!.wallS).toFixed(2));
      const b = p.cpu.byName;
      out.push(
        `| ${x.name} | ${i + 1} | ${c(b.fieldlab)} | ${c(b.primary)} | ${c(b.shadow)} | ${c(b.loader)} | ${c(p.cpu.foreignS)} | ${c(p.cpu.machineBusyS)} |`,
      );
    });
  }

  const notes: string[] = [];
  for (const s of r.summaries.filter((x) => x.foreignCores > FOREIGN_WARN_CORES)) {
    notes.push(
      `⚠ ${s.name}: processes outside the bench used up to ${s.foreignCores.toFixed(2)} cores during the measured run (the kernel's loopback work counts here too): its req/s and p99 are skewed by neighbours; compare Fieldlab CPU µs/req instead`,
    );
  }
  const busy = Number(m.loadavg1m) / Number(m.cpus);
  if (busy > 0.5) {
    notes.push(
      `⚠ machine was already busy when the run started (1-min load ${m.loadavg1m} on ${m.cpus} CPUs): p99 ratios are noisy; prefer --passes 2 and repeat`,
    );
  }
  for (const s of r.summaries.filter((x) => x.flagged)) {
    notes.push(
      `⚠ ${s.name}: ${s.errors} client errors (${s.timeouts} timeouts), ${s.non2xx} non-2xx — the mirror path leaked into client responses, or the box is overloaded`,
    );
  }
  for (const f of r.outcomes.filter((x) => x.failure)) notes.push(`✗ ${f.name} could not be measured: ${indent(f.failure!)}`);
  if (notes.length > 0) out.push('', ...notes);

  out.push('', '## Targets', '');
  for (const t of r.targets) out.push(`- ${t.target}: **${t.status}** — ${t.detail}`);
  out.push('', ...boundSection(r));
  return out.join('\n') + '\n';
}

/** Why slow and dead shadows can't grow memory past a fixed amount, with the numbers from the live config. */
function boundSection(r: MirrorReport): string[] {
  const limits = r.outcomes.flatMap((o) => o.passes).find((p) => p.limits)?.limits;
  if (!limits) return ['## Memory bound', '', 'n/a: no mirrored run could read its shadow limits.'];
  const b = memoryBound(limits);
  const base = r.summaries.find((s) => s.name === 'baseline');
  const kib = (n: number): string => `${round1(n / 1024)} KiB`;
  // This bench's jobs: a GET (no body) with a ~0.5 KiB head, and a ~1 KiB answer on each side.
  const workloadPerJob = 512 + 2 * 1024;
  const rows = (['mirror-slow', 'mirror-dead'] as const).flatMap((n) => {
    const s = r.summaries.find((x) => x.name === n);
    if (!s) return [];
    const growth = base ? `${round1(s.peakMiB - base.peakMiB)} MiB over baseline peak` : 'no baseline';
    return [
      `- ${n}: measured peak ${s.peakMiB} MiB (${growth}; ${round1(s.peakMiB - s.startMiB)} MiB over its own start) vs bound baseline + ${round1(b.bytes / MiB)} MiB`,
    ];
  });
  return [
    '## Memory bound (per shadow)',
    '',
    `A slow or dead shadow can only hold (concurrency + queue) jobs; past that, copies are dropped and counted. Each job keeps its request copy ` +
      `(head ≤ limits.maxHeaderSize, body ≤ shadow.maxBody) and the primary's capture, and fills the shadow's capture (each ≤ shadow.compare.maxBody):`,
    '',
    `    (${limits.concurrency} + ${limits.queue}) × (${kib(limits.requestHead)} + ${kib(limits.requestBody)} + 2 × ${kib(limits.capture)}) = ` +
      `${b.jobs} × ${kib(b.perJob)} = ${round1(b.bytes / MiB)} MiB`,
    '',
    ...rows,
    '',
    `With this bench's requests (GET, no body, ~0.5 KiB head, 1 KiB answers) the data part of that is ${b.jobs} × ${kib(workloadPerJob)} ≈ ` +
      `${round1((b.jobs * workloadPerJob) / MiB)} MiB; growth beyond it is per-job bookkeeping (promises, closures, timers, undici requests, ` +
      `sockets) and GC slack, which the formula doesn't count. The bound covers the dispatcher only: pairs waiting for comparison ` +
      `(compare queue, 1,000 pairs × 2 captures) matter when the shadow answers fast, i.e. in mirror-healthy, not here.`,
  ];
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
