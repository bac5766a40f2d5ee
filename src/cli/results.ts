/**
 * `fieldlab results ROUTE [--json | --export unit|minute]`: a running Fieldlab's experiment results for one route, from
 * `GET /experiments.json?route=ROUTE` — per goal each arm's units and mean, the lift with its
 * confidence sequence (and the fixed-horizon interval once not early), vital signs and alarms.
 * Exit 2 for an unknown route or one without `experiment:` (and for an unreachable admin API).
 */
import type { ExperimentResult } from '../experiments/analysis.js';
import { ADMIN_FLAGS, adminCall, adminTarget } from './admin-client.js';
import { fail } from './control.js';
import { runResultsExport } from './results-export.js';
import { type CommandSpec, readFlags, usageLine } from './flags.js';
import type { CliIo } from './io.js';

/** `fieldlab results ROUTE`: its flags. */
export const RESULTS: CommandSpec = {
  name: 'results',
  positional: 'ROUTE',
  positionals: 1,
  summary: 'experiment results: goals, lift with an anytime-valid interval, vital signs, SRM/leak alarms (exit 2: unknown route)',
  flags: {
    json: { help: 'print the experiment result as JSON' },
    export: { value: 'unit|minute', help: 'download per-unit or per-minute data for a warehouse instead (streamed)' },
    format: { value: 'csv|jsonl', help: 'with --export: CSV (default, RFC 4180) or JSON lines' },
    since: { value: 'AGE', help: 'with --export: units first exposed (or minutes) since an age like 24h, an ISO date or epoch ms' },
    out: { value: 'FILE', help: 'with --export: write to FILE (complete or not at all) instead of stdout' },
    ...ADMIN_FLAGS,
  },
};

/** `fieldlab results ROUTE [--json] [--admin URL] [--token T] [--config FILE]` */
export async function runResults(args: string[], io: CliIo): Promise<number> {
  const parsed = readFlags(RESULTS, args, io);
  if (typeof parsed === 'number') return parsed;
  const route = parsed.positionals[0];
  if (!route) {
    io.err(`fieldlab results: missing ROUTE\nusage: ${usageLine(RESULTS.name, RESULTS.flags, RESULTS.positional)}`);
    return 2;
  }
  const by = parsed.values.get('export');
  const stray = ['format', 'since', 'out'].find((f) => parsed.values.has(f));
  if (by === undefined && stray) {
    io.err(`fieldlab results: --${stray} goes with --export unit|minute`);
    return 2;
  }
  if (by !== undefined) {
    return runResultsExport(
      adminTarget(args, io),
      route,
      {
        by,
        format: parsed.values.get('format') ?? 'csv',
        since: parsed.values.get('since'),
        out: parsed.values.get('out'),
      },
      io,
    );
  }
  const r = await adminCall(adminTarget(args, io), 'GET', `/experiments.json?route=${encodeURIComponent(route)}`);
  if (r.status !== 200) return fail(io, r);
  const body = r.body as { experiments: ExperimentResult[] };
  io.out(parsed.set.has('json') ? JSON.stringify(body.experiments[0], null, 2) : renderResults(body.experiments[0]!));
  return 0;
}

/**
 * Renders one experiment's results as text.
 * @example renderResults(result) // 'experiment product — EARLY (ran 2h of 7d) …'
 */
export function renderResults(x: ExperimentResult): string {
  const lines = [
    `experiment ${x.route} — ${x.early ? `EARLY (${x.earlyReasons.join('; ')})` : 'ready'}${x.startedAt ? `, since ${x.startedAt}` : ''}`,
    `  arms: ${x.arms.map((a) => `${a.arm} ${a.units} units${a.weightPercent === null ? '' : ` (${a.weightPercent}%)`}`).join(', ')}`,
    `  intervals at α = ${+x.config.comparisonAlpha.toPrecision(3)}${x.config.correction === 'bonferroni' && x.config.comparisons > 1 ? ` (Bonferroni: ${x.config.alpha} over ${x.config.comparisons} goal × variant comparisons)` : ''}`,
  ];
  for (const g of x.goals) {
    lines.push('', `goal ${g.name} (${g.kind}${g.route ? ` on route ${g.route}` : ''})`);
    for (const a of g.arms) lines.push(`  ${a.arm.padEnd(12)} ${String(a.units).padStart(8)} units  mean ${num(a.mean)}`);
    for (const l of g.lifts) {
      const seq = l.sequential;
      lines.push(
        `  ${l.arm} vs control: ${signed(l.absolute)} (${pct(l.relative)})  confidence sequence ${span(seq.absolute)}${seq.significant ? '  SIGNIFICANT' : ''}`,
      );
      if (l.fixed.available) lines.push(`      fixed-horizon ${span(l.fixed.absolute)}${l.fixed.significant ? '  significant' : ''}`);
    }
  }
  lines.push('', 'vital signs');
  for (const v of x.vitals) {
    lines.push(
      `  ${v.arm.padEnd(12)} ${num(v.requestsPerUnit)} requests/unit  error rate ${pct(v.errorRate)}  mean latency ${num(v.meanLatencyMs)} ms`,
    );
  }
  const d = x.diagnostics;
  lines.push(
    '',
    `SRM: p = ${d.srm.pValue.toPrecision(3)}${d.srm.alarm ? '  ALARM' : ''} (observed ${JSON.stringify(d.srm.observed)}, expected ${JSON.stringify(round(d.srm.expected))})`,
    `leaks: ${d.leaks.units} units (${pct(d.leaks.share)})${d.leaks.alarm ? '  ALARM' : ''}`,
    `goal traffic: ${d.goalTraffic.withoutKey} without a sticky key, ${d.goalTraffic.unexposed} never exposed of ${d.goalTraffic.requests}${d.goalTraffic.alarm ? '  ALARM' : ''}`,
  );
  for (const v of d.nullBranch?.variants ?? []) {
    const same = v.endpoints.filter((e) => e.same).length;
    lines.push(
      `null branch (${v.arm}): ${v.endpoints.length === 0 ? `no endpoint with ${v.minRequests} responses per arm yet` : `${same} of ${v.endpoints.length} endpoints answer exactly like control`}${v.alarm ? '  ALARM: is the application reading x-fieldlab-arm?' : ''}`,
    );
  }
  return lines.join('\n');
}

const num = (v: number | null) => (v === null ? '–' : +v.toPrecision(4));
const signed = (v: number | null) => (v === null ? '–' : `${v >= 0 ? '+' : ''}${+v.toPrecision(4)}`);
const pct = (v: number | null) => (v === null ? '–' : `${+(v * 100).toPrecision(3)}%`);
const span = (s: [number, number] | null) => (s === null ? '[not enough units]' : `[${signed(s[0])}, ${signed(s[1])}]`);
const round = (o: Record<string, number>) => Object.fromEntries(Object.entries(o).map(([k, v]) => [k, Math.round(v)]));
