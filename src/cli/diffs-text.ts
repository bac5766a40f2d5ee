/**
 * The terminal rendering of the diff report: endpoints in the report's ranking, each with its
 * fields, status transitions, latency and the first example of each real field. Plain text that
 * reads without colour (verdicts are words, not just hues); ANSI colour is an optional layer.
 */
import type { DiffReport, EndpointReport, FieldReport } from '../compare/report.js';
import { type DiffExample, OVERFLOW } from '../storage/types.js';
import { describeFilter, ms, pairedDelta, pct, SKIP_REASONS, signedMs } from '../compare/report-format.js';
import { fieldValues } from '../compare/report-values.js';
import { plural } from './plural.js';

/** Examples of one endpoint field (the store's lookup, already filtered). */
export type FieldExamples = (e: EndpointReport, f: FieldReport) => DiffExample[];

/** Colour functions; identity when colour is off. */
export interface Paint {
  readonly bold: (s: string) => string;
  readonly dim: (s: string) => string;
  readonly red: (s: string) => string;
  readonly yellow: (s: string) => string;
}

const id = (s: string) => s;
const sgr = (code: string) => (s: string) => `\u001b[${code}m${s}\u001b[0m`;

/**
 * ANSI paint when `on`, otherwise no-op paint.
 * @example paint(false).red('x') // 'x'
 */
export function paint(on: boolean): Paint {
  return on ? { bold: sgr('1'), dim: sgr('2'), red: sgr('1;31'), yellow: sgr('33') } : { bold: id, dim: id, red: id, yellow: id };
}

/** Lays out rows in padded columns; `color` paints a whole row after padding, so widths stay right. */
function table(rows: string[][], indent: string, color?: (row: number, line: string) => string): string[] {
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((r) => (r[c] ?? '').length)));
  return rows.map((r, i) => {
    const line = indent + r.map((cell, c) => (c === r.length - 1 ? cell : cell.padEnd(widths[c]!))).join('  ');
    return color ? color(i, line) : line;
  });
}

const NOISE_SHOWN = 5;

function fieldLines(e: EndpointReport, p: Paint): string[] {
  if (e.fields.length === 0) return ['   no field differed'];
  let noiseSeen = 0;
  const listed = e.fields.filter((f) => f.verdict !== 'noise' || noiseSeen++ < NOISE_SHOWN);
  const rows = [['verdict', 'rate (≥ lower)', 'noise (≤ upper)', 'differed', 'noise', 'kind', 'field']];
  for (const f of listed) {
    const noise = f.noiseCompared > 0 ? `${pct(f.noiseRate)} (≤ ${pct(f.noiseUpper)})` : 'not observed';
    rows.push([
      f.verdict === 'real' ? 'REAL' : f.verdict,
      `${pct(f.rate)} (≥ ${pct(f.lower)})`,
      noise,
      `${f.differed}/${f.compared}`,
      `${f.noiseDiffered}/${f.noiseCompared}`,
      f.kind,
      f.meanDeltaMs === undefined ? f.field : `${f.field}  (${pairedDelta(f)})`,
    ]);
  }
  const out = table(rows, '   ', (i, line) => {
    if (i === 0) return p.dim(line);
    const v = listed[i - 1]!.verdict;
    return v === 'real' ? p.red(line) : v === 'unmeasured' ? p.yellow(line) : p.dim(line);
  });
  const hidden = e.fields.length - listed.length;
  if (hidden > 0) out.push(p.dim(`   … and ${hidden} more noise field${hidden === 1 ? '' : 's'} (--json lists all)`));
  const cut = e.fieldsTotal - e.fields.length;
  if (cut > 0) out.push(p.dim(`   … and ${cut} more field${cut === 1 ? '' : 's'} past this page's --fields`));
  return out;
}

function statusLine(e: EndpointReport, p: Paint): string {
  const s = e.statuses.map((x) => {
    const t = `${x.primary || 'error'}→${x.candidate || 'error'} ×${x.count}`;
    return x.primary === x.candidate ? t : p.red(t);
  });
  return `   statuses (primary→shadow): ${s.length > 0 ? s.join(', ') : 'none recorded'}`;
}

function latencyLines(e: EndpointReport, p: Paint): string[] {
  const l = e.latency;
  if (l.samples === 0) return ['   latency: no samples'];
  const q = ['p50', 'p95', 'p99'] as const;
  const rows = [
    ['latency ms', ...q],
    ['primary', ...q.map((k) => ms(l.primary[k]))],
    ['shadow', ...q.map((k) => ms(l.candidate[k]))],
    ['delta', ...q.map((k) => signedMs(l.delta[k]))],
  ];
  const widths = q.map((_, c) => Math.max(...rows.map((r) => r[c + 1]!.length)));
  return rows.map((r, i) => {
    const line = `   ${r[0]!.padEnd(10)}  ${r
      .slice(1)
      .map((c, j) => c.padStart(widths[j]!))
      .join('  ')}${i === 3 ? `   (shadow − primary, ${l.samples} paired samples)` : ''}`;
    return i === 0 ? p.dim(line) : line;
  });
}

function exampleLines(e: EndpointReport, examples: FieldExamples, p: Paint): string[] {
  const out: string[] = [];
  for (const f of e.fields.filter((x) => x.verdict === 'real')) {
    for (const ex of examples(e, f)) {
      const v = fieldValues(ex, f.field);
      out.push(
        `   example ${p.bold(f.field)}: ${ex.method} ${ex.path}  ${ex.primaryStatus}→${ex.candidateStatus}  ${ms(ex.primaryLatencyMs)}→${ms(ex.candidateLatencyMs)} ms`,
      );
      out.push(`     request id ${ex.requestId}  trace id ${ex.traceId ?? '(none)'}`);
      out.push(v ? `     primary ${v.primary}  shadow ${p.red(v.candidate)}` : '     (values not in the stored bodies; see --html)');
    }
  }
  return out;
}

function endpointLines(e: EndpointReport, i: number, examples: FieldExamples, p: Paint): string[] {
  const real = e.realRate > 0 ? p.red(`real ${pct(e.realRate)}`) : 'no real difference';
  const unm = e.unmeasuredRate > 0 ? p.yellow(` · unmeasured ${pct(e.unmeasuredRate)}`) : '';
  return [
    '',
    `${p.bold(`#${i + 1} ${e.endpoint}`)}  route ${e.route} → shadow ${e.shadow} · ${plural(e.pairs, 'pair')} · ${real}${unm}`,
    ...fieldLines(e, p),
    statusLine(e, p),
    ...latencyLines(e, p),
    ...exampleLines(e, examples, p),
  ];
}

function skipLines(r: DiffReport, p: Paint): string[] {
  if (r.skips.length === 0) return ['', 'Skipped: nothing'];
  const rows = r.skips.map((s) => [`${s.route} → ${s.shadow}`, s.reason, String(s.count), SKIP_REASONS[s.reason] ?? '']);
  return ['', p.bold('Skipped (not mirrored, or not fully compared)'), ...table(rows, '   ')];
}

/**
 * The whole report as terminal lines.
 * @example io.out(renderDiffsText(report, (e, f) => store.examples({ ...e, field: f.field, limit: 1 }), paint(false)).join('\n'))
 */
export function renderDiffsText(r: DiffReport, examples: FieldExamples, p: Paint): string[] {
  const t = r.totals;
  const skipped = r.skips.reduce((s, x) => s + x.count, 0);
  const head = [
    `${p.bold('Fieldlab shadow diffs')} · ${describeFilter(r.filter)}`,
    `${plural(t.pairs, 'pair')} · ${plural(t.endpoints, 'endpoint')} · ${t.realFields > 0 ? p.red(`${t.realFields} real`) : '0 real'} · ${t.unmeasuredFields} unmeasured · ${skipped} skipped`,
  ];
  if (t.overflowPairs > 0)
    head.push(p.yellow(`${plural(t.overflowPairs, 'pair')} counted under ${OVERFLOW}: a route and shadow reached store.maxEndpoints`));
  if (r.endpoints.length === 0)
    head.push('', "No shadow pairs in this window: check the routes' shadow config, the filter, and the skips below.");
  const { offset, total, next } = r.page;
  const paging =
    total > r.endpoints.length
      ? ['', `endpoints ${offset + 1}–${offset + r.endpoints.length} of ${total}${next !== null ? ` · next page: --offset ${next}` : ''}`]
      : [];
  return [...head, ...r.endpoints.flatMap((e, i) => endpointLines(e, offset + i, examples, p)), ...paging, ...skipLines(r, p)];
}
