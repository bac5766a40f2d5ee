/** Turns per-pass results into the ratio table and target verdicts, as markdown or JSON. */
import os from 'node:os';
import type { BenchOptions } from './args.js';
import type { LoadResult } from './load.js';
import type { PeerName } from './peers.js';
import type { RssReport } from './rss.js';
import { fmt, fmtRatio, indent } from './format.js';
import type { PairedRatio, Spread } from './paired.js';

/** One peer's measured passes, or why it couldn't be measured. */
export interface PeerOutcome {
  name: PeerName;
  passes: LoadResult[];
  failure?: string;
}

/** A peer averaged over its passes (percentiles are averaged per pass: approximate, but symmetric). */
export interface PeerSummary {
  name: PeerName;
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  arms: Record<string, number>;
  /** Mean CPU µs per request over the passes (NaN where not measured; proxy undefined for direct). */
  proxyUs: number | undefined;
  upstreamUs: number;
  loaderUs: number;
  /** The busiest pass's foreign load, in cores. */
  foreignCores: number;
  /** True when any request failed or answered non-2xx: its numbers are not comparable. */
  flagged: boolean;
}

export interface TargetVerdict {
  target: string;
  status: 'met' | 'not met' | 'n/a';
  ratio: number | null;
  detail: string;
}

export interface Report {
  machine: Record<string, string | number>;
  options: BenchOptions;
  peers: PeerSummary[];
  failed: { name: PeerName; reason: string }[];
  targets: TargetVerdict[];
  rss?: (RssReport & { load: PeerSummary }) | { failure: string };
  /** Per-pass ratios to the bare undici proxy (with 2 or more passes). */
  paired?: PairedRatio[];
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** @example summarise({ name: 'undici', passes: [r1, r2] }) */
export function summarise(o: PeerOutcome): PeerSummary {
  const sum = (f: (r: LoadResult) => number): number => o.passes.reduce((a, r) => a + f(r), 0);
  const statusCodes: Record<string, number> = {};
  const arms: Record<string, number> = {};
  for (const r of o.passes) {
    for (const [c, n] of Object.entries(r.statusCodes)) statusCodes[c] = (statusCodes[c] ?? 0) + n;
    for (const [a, n] of Object.entries(r.arms)) arms[a] = (arms[a] ?? 0) + n;
  }
  const s = {
    name: o.name,
    rps: mean(o.passes.map((r) => r.rps)),
    p50: mean(o.passes.map((r) => r.p50)),
    p99: mean(o.passes.map((r) => r.p99)),
    ok: sum((r) => r.ok),
    non2xx: sum((r) => r.non2xx),
    errors: sum((r) => r.errors),
    timeouts: sum((r) => r.timeouts),
    statusCodes,
    arms,
    proxyUs: o.passes.some((r) => r.cpu?.proxyUs !== undefined) ? mean(o.passes.map((r) => r.cpu?.proxyUs ?? Number.NaN)) : undefined,
    upstreamUs: mean(o.passes.map((r) => r.cpu?.upstreamUs ?? Number.NaN)),
    loaderUs: mean(o.passes.map((r) => r.cpu?.loaderUs ?? Number.NaN)),
    foreignCores: Math.max(...o.passes.map((r) => r.cpu?.foreignCores ?? Number.NaN)),
  };
  return { ...s, flagged: s.non2xx > 0 || s.errors > 0 || s.ok === 0 };
}

/** Node, CPU and OS facts printed above the table: ratios only transfer between similar machines. */
export function machineInfo(): Record<string, string | number> {
  const cpus = os.cpus();
  return {
    node: process.version,
    cpus: cpus.length,
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    os: `${os.platform()} ${os.release()} ${os.arch()}`,
    memoryGiB: Math.round((os.totalmem() / 1024 ** 3) * 10) / 10,
    loadavg1m: Math.round(os.loadavg()[0]! * 100) / 100,
    date: new Date().toISOString(),
  };
}

/** The three ratio targets Fieldlab is held to, computed from peers of the same run. */
export function verdicts(peers: PeerSummary[], failed: { name: PeerName }[]): TargetVerdict[] {
  const by = (n: PeerName): PeerSummary | undefined => peers.find((p) => p.name === n);
  const fl = by('fieldlab');
  const check = (target: string, peer: PeerName, metric: 'rps' | 'p99' | 'proxyUs', bound: number, atLeast: boolean): TargetVerdict => {
    const other = by(peer);
    const missing = [fl ? undefined : 'fieldlab', other ? undefined : peer].filter(Boolean);
    if (!fl || !other) {
      const why = missing.map((m) => (failed.some((f) => f.name === m) ? `${m} failed` : `${m} not run`)).join(', ');
      return { target, status: 'n/a', ratio: null, detail: why };
    }
    const [a, b] = [fl[metric] ?? Number.NaN, other[metric] ?? Number.NaN];
    const ratio = a / b;
    if (!Number.isFinite(ratio)) return { target, status: 'n/a', ratio: null, detail: `${metric} not measured` };
    const met = atLeast ? ratio >= bound : ratio <= bound;
    const unit = metric === 'rps' ? 'req/s' : metric === 'p99' ? 'ms p99' : 'µs CPU/req';
    const kind = metric === 'rps' ? 'rps' : 'p99';
    const warn = fl.flagged || other.flagged ? ' — WARNING: a peer had errors or non-2xx' : '';
    return {
      target,
      status: met ? 'met' : 'not met',
      ratio,
      detail: `${fmtRatio(ratio)} (${fmt(a, kind)} vs ${fmt(b, kind)} ${unit})${warn}`,
    };
  };
  // Issue 13's targets, for `fieldlab` (every production feature on, access log included).
  return [
    check('Fieldlab ≥ 0.95× bare undici throughput', 'undici', 'rps', 0.95, true),
    check('Fieldlab CPU/req ≤ 1.1× bare undici', 'undici', 'proxyUs', 1.1, false),
    check('Fieldlab p99 ≤ 1.2× bare undici', 'undici', 'p99', 1.2, false),
    check('Fieldlab ≥ 2× http-proxy throughput', 'http-proxy', 'rps', 2, true),
  ];
}

/** The human report: machine, table, flags, targets, RSS. */
export function markdown(r: Report): string {
  const m = r.machine;
  const o = r.options;
  const out = [
    `# Fieldlab proxy bench`,
    ``,
    `node ${m.node} · ${m.cpus} × ${m.cpuModel} · ${m.os} · ${m.memoryGiB} GiB · load ${m.loadavg1m} · ${m.date}`,
    `${o.connections} connections, pipelining 1, ${o.warmupS} s warmup + ${o.durationS} s per peer, ${o.passes} pass(es), ` +
      `GET /api/items/1 rotating ${o.users} x-user-id values; req/s counts 2xx only`,
    ``,
    `| peer | req/s | p50 ms | p99 ms | proxy CPU µs/req | req/s vs undici | p99 vs undici | CPU/req vs undici | upstream µs/req | loader µs/req | non-2xx | errors |`,
    `|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|`,
  ];
  const undici = r.peers.find((p) => p.name === 'undici');
  for (const p of r.peers) {
    const vs = (a: number | undefined, b: number | undefined): string => (a === undefined || b === undefined ? 'n/a' : fmtRatio(a / b));
    const us = (v: number | undefined): string => (v === undefined || !Number.isFinite(v) ? '–' : v.toFixed(1));
    out.push(
      `| ${p.name}${p.flagged ? ' ⚠' : ''} | ${fmt(p.rps, 'rps')} | ${fmt(p.p50, 'p99')} | ${fmt(p.p99, 'p99')} | ${us(p.proxyUs)} | ` +
        `${vs(p.rps, undici?.rps)} | ${vs(p.p99, undici?.p99)} | ${vs(p.proxyUs, undici?.proxyUs)} | ${us(p.upstreamUs)} | ${us(p.loaderUs)} | ${p.non2xx} | ${p.errors} |`,
    );
  }
  for (const f of r.failed) out.push(`| ${f.name} ✗ | failed | | | | | | | | | | |`);
  const notes: string[] = [];
  const busy = Number(m.loadavg1m) / Number(m.cpus);
  if (busy > 0.5)
    notes.push(
      `⚠ machine was already busy when the run started (1-min load ${m.loadavg1m} on ${m.cpus} CPUs): absolute numbers are noisy; prefer many short passes (--passes 8 --duration 4) and their paired ratios`,
    );
  const foreign = Math.max(...r.peers.map((p) => p.foreignCores));
  if (Number.isFinite(foreign))
    notes.push(
      `CPU/req is each process's own utime+stime (/proc) over the measured run; up to ${foreign.toFixed(2)} cores were busy with work outside the bench`,
    );
  for (const p of r.peers.filter((x) => x.flagged)) {
    notes.push(
      `⚠ ${p.name}: ${p.errors} errors (${p.timeouts} timeouts), ${p.non2xx} non-2xx, status codes ${JSON.stringify(p.statusCodes)} — its numbers are not comparable`,
    );
  }
  const fl = r.peers.find((p) => p.name === 'fieldlab');
  if (fl) notes.push(splitLine(fl.arms));
  for (const f of r.failed) notes.push(`✗ ${f.name} could not be measured: ${indent(f.reason)}`);
  if (notes.length > 0) out.push('', ...notes);
  if (r.paired && r.paired.length > 0) {
    const sp = (x: Spread | undefined): string =>
      x === undefined || !Number.isFinite(x.median) ? 'n/a' : `${fmtRatio(x.median)} (${fmtRatio(x.min)}–${fmtRatio(x.max)})`;
    out.push(
      '',
      '## Paired by pass (median and range of the per-pass ratios to undici)',
      '',
      'Each pass measures every peer within a minute, so a ratio inside one pass sees the same machine on both sides;',
      'on a noisy machine the median of many short passes (`--passes 8 --duration 4`) is the number to quote.',
      '',
      '| peer | passes | CPU/req vs undici | req/s vs undici | p99 vs undici |',
      '|---|---:|---:|---:|---:|',
    );
    for (const p of r.paired) out.push(`| ${p.name} | ${p.passes} | ${sp(p.cpu)} | ${sp(p.rps)} | ${sp(p.p99)} |`);
  }
  out.push('', '## Targets', '');
  for (const t of r.targets) out.push(`- ${t.target}: **${t.status}** — ${t.detail}`);
  if (r.rss) {
    out.push('', '## Fieldlab RSS under load', '');
    if ('failure' in r.rss) out.push(`✗ RSS run failed: ${indent(r.rss.failure)}`);
    else {
      const s = r.rss;
      out.push(
        `${o.rssS} s at ${o.connections} connections: start ${s.startMiB} MiB, peak ${s.peakMiB} MiB, end ${s.endMiB} MiB; ` +
          `second-half slope ${s.slopeMiBPerMin} MiB/min → **${s.flat ? 'flat' : 'NOT flat'}** ` +
          `(${fmt(s.load.rps, 'rps')} req/s, ${s.load.non2xx} non-2xx, ${s.load.errors} errors${s.load.flagged ? ' ⚠' : ''})`,
        `samples (MiB): ${s.samples.join(' ')}`,
      );
    }
  }
  return out.join('\n') + '\n';
}

/** Fieldlab's configured split is 50/50: seeing both arms near half proves the sticky path ran. */
function splitLine(arms: Record<string, number>): string {
  const total = Object.values(arms).reduce((a, b) => a + b, 0);
  if (total === 0) return '⚠ fieldlab split: the upstream saw no x-fieldlab-arm header, so the split could not be verified';
  const parts = Object.entries(arms).map(([a, n]) => `${a} ${n} (${((100 * n) / total).toFixed(1)} %)`);
  return `${Object.keys(arms).length >= 2 ? 'fieldlab split (configured 50/50)' : '⚠ fieldlab split hit one arm only'}: ${parts.join(', ')}`;
}
