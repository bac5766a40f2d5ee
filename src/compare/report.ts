/**
 * Turns stored aggregate rows into the shadow-diff report engineers read: endpoints ranked by their
 * real-difference rate, each with its fields (verdict, rates, noise), status transitions and latency
 * quantiles. One model feeds the terminal, the HTML page and the JSON API, so they always agree.
 */
import type { DiffKind } from './types.js';
import { type DiffFilter, type DiffRows, OVERFLOW } from '../storage/types.js';
import { DELTA_BOUNDS, LATENCY_BOUNDS, count, quantile } from '../stats/histogram.js';
import { classifyField, type NoiseOptions, type Verdict } from './noise.js';
import { TRACE_FIELD } from '../traces/tree-diff.js';
import { pairedDeltas, type PairedDeltas } from './paired-deltas.js';

/** One differing field of an endpoint. */
export interface FieldReport {
  readonly field: string;
  readonly kind: DiffKind;
  /** Pairs that compared the field, and those where it differed this way. */
  readonly compared: number;
  readonly differed: number;
  readonly rate: number;
  readonly noiseCompared: number;
  readonly noiseDiffered: number;
  readonly noiseRate: number;
  /** Wilson lower bound of rate, upper bound of noise rate. */
  readonly lower: number;
  readonly noiseUpper: number;
  readonly verdict: Verdict;
  /**
   * `trace:slower:` fields: the mean paired latency delta of the operation (shadow − primary, ms)
   * over every pair that called it on both sides — how much slower, beside how often.
   */
  readonly meanDeltaMs?: number;
  /** `trace:slower:` fields: the paired deltas' p50 and p95, raw and noise-corrected (paired-deltas.ts). */
  readonly deltaMs?: PairedDeltas;
}

/** Quantiles in ms (undefined when no samples). */
export interface Quantiles {
  readonly p50: number | undefined;
  readonly p95: number | undefined;
  readonly p99: number | undefined;
}

/** One endpoint of one shadow. */
export interface EndpointReport {
  readonly route: string;
  readonly shadow: string;
  readonly endpoint: string;
  readonly pairs: number;
  /** Highest rate among fields whose verdict is `real` (0 when none). */
  readonly realRate: number;
  /** Highest rate among `unmeasured` fields (noise unknown: shown, caveated). */
  readonly unmeasuredRate: number;
  /** Listed fields (at most the page's `fields`), real first. */
  readonly fields: readonly FieldReport[];
  /** Differing fields before the page's cut. */
  readonly fieldsTotal: number;
  readonly statuses: readonly { primary: number; candidate: number; count: number }[];
  readonly latency: { readonly samples: number; readonly primary: Quantiles; readonly candidate: Quantiles; readonly delta: Quantiles };
}

/**
 * Which slice of a report to return: reports are always bounded, however many endpoints and fields
 * the store holds (issue 9: an unbounded page froze the proxy for 108 s).
 */
export interface ReportPage {
  /** First endpoint, 0-based in ranking order (default 0). */
  readonly offset?: number;
  /** Endpoints per page (default 50, at most 200). */
  readonly limit?: number;
  /** Fields listed per endpoint (default 100, at most 200); the rest are counted in `fieldsTotal`. */
  readonly fields?: number;
}

/** Defaults and ceilings of a report page. */
// The maxima bound the worst page (rows × fields) to a few MB, however the query string asks.
export const REPORT_PAGE = { limit: 50, maxLimit: 200, fields: 100, maxFields: 200 } as const;

/** Where a page sits in the whole report. */
export interface PageInfo {
  readonly offset: number;
  readonly limit: number;
  readonly fields: number;
  /** Endpoints in the whole report. */
  readonly total: number;
  /** Offset of the next page, or null on the last. */
  readonly next: number | null;
}

/** The whole report. */
export interface DiffReport {
  readonly generatedAt: string;
  readonly filter: DiffFilter;
  readonly page: PageInfo;
  /** This page's endpoints (see `page`); totals cover every endpoint. */
  readonly endpoints: readonly EndpointReport[];
  readonly skips: readonly { route: string; shadow: string; reason: string; count: number }[];
  readonly totals: {
    readonly pairs: number;
    readonly endpoints: number;
    readonly realFields: number;
    readonly unmeasuredFields: number;
    /** Pairs counted under the OVERFLOW endpoint `(other)`: their route and shadow hit `store.maxEndpoints`. */
    readonly overflowPairs: number;
  };
}

const VERDICT_ORDER: Record<Verdict, number> = { real: 0, unmeasured: 1, noise: 2 };

/** Clamps a requested page to the defaults and ceilings. */
function clampPage(page: ReportPage): { offset: number; limit: number; fields: number } {
  const int = (v: number | undefined, dflt: number, min: number, max: number) =>
    v === undefined || !Number.isFinite(v) ? dflt : Math.min(max, Math.max(min, Math.floor(v)));
  return {
    offset: int(page.offset, 0, 0, Number.MAX_SAFE_INTEGER),
    limit: int(page.limit, REPORT_PAGE.limit, 1, REPORT_PAGE.maxLimit),
    fields: int(page.fields, REPORT_PAGE.fields, 0, REPORT_PAGE.maxFields),
  };
}

/** Groups rows by `key` in one pass (a find per endpoint was O(endpoints²)). */
function groupBy<T>(rows: readonly T[], key: (r: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const r of rows) {
    const k = key(r);
    const list = out.get(k);
    if (list) list.push(r);
    else out.set(k, [r]);
  }
  return out;
}

/**
 * Builds one page of the report from rows (see DiffStore.rows): totals over everything, endpoints
 * `page.offset … offset + limit` of the ranking, each with at most `page.fields` fields.
 * @example buildReport(await store.rows({ route: 'checkout' }), { route: 'checkout' }, {}, { offset: 50 })
 */
export function buildReport(rows: DiffRows, filter: DiffFilter, opts: NoiseOptions = {}, page: ReportPage = {}): DiffReport {
  const pg = clampPage(page);
  const endpoints = rankEndpoints(rows, opts);
  const all = endpoints.flatMap((e) => e.fields);
  const shown = endpoints.slice(pg.offset, pg.offset + pg.limit).map((e) => ({ ...e, fields: e.fields.slice(0, pg.fields) }));
  const next = pg.offset + pg.limit < endpoints.length ? pg.offset + pg.limit : null;
  return {
    generatedAt: new Date().toISOString(),
    filter,
    page: { ...pg, total: endpoints.length, next },
    endpoints: shown,
    skips: [...rows.skips].sort((a, b) => b.count - a.count),
    totals: {
      pairs: endpoints.reduce((s, e) => s + e.pairs, 0),
      endpoints: endpoints.length,
      realFields: all.filter((f) => f.verdict === 'real').length,
      unmeasuredFields: all.filter((f) => f.verdict === 'unmeasured').length,
      overflowPairs: endpoints.filter((e) => e.endpoint === OVERFLOW).reduce((s, e) => s + e.pairs, 0),
    },
  };
}

/**
 * Every endpoint of the rows with all its fields, ranked by real-difference rate — unbounded: for
 * CI gates (`failingFields`) in the CLI's own process; pages come from `buildReport`.
 * @example failingFields({ endpoints: rankEndpoints(rows) }, 0.01)
 */
export function rankEndpoints(rows: DiffRows, opts: NoiseOptions = {}): EndpointReport[] {
  const key = (r: { route: string; shadow: string; endpoint: string }) => `${r.route}\u0000${r.shadow}\u0000${r.endpoint}`;
  const noise = new Map<string, { compared: number; differed: number }>();
  for (const n of rows.noise) {
    // Shadow-specific noise (noiseFrom) and route-wide noise ('*', repeats) both count.
    const k = `${n.route}\u0000${n.endpoint}\u0000${n.field}`;
    const acc = noise.get(k) ?? { compared: 0, differed: 0 };
    acc.compared += n.compared;
    acc.differed += n.differed;
    noise.set(k, acc);
  }
  const comparedByField = new Map<string, number>();
  const deltaByField = new Map<string, number>();
  for (const f of rows.fields) {
    const k = `${key(f)}\u0000${f.field}`;
    comparedByField.set(k, (comparedByField.get(k) ?? 0) + f.compared);
    if (f.field.startsWith(TRACE_FIELD.slower)) deltaByField.set(k, (deltaByField.get(k) ?? 0) + (f.deltaMs ?? 0));
  }
  const deltas = pairedDeltas(rows);
  const fieldsByEndpoint = new Map<string, FieldReport[]>();
  for (const f of rows.fields) {
    if (f.kind === 'same' || f.differed === 0) continue;
    const compared = comparedByField.get(`${key(f)}\u0000${f.field}`) ?? f.compared;
    const delta = deltaByField.get(`${key(f)}\u0000${f.field}`);
    const meanDeltaMs = delta === undefined || compared === 0 ? undefined : Math.round((delta / compared) * 10) / 10;
    const n = noise.get(`${f.route}\u0000${f.endpoint}\u0000${f.field}`) ?? { compared: 0, differed: 0 };
    const v = classifyField({ compared, differed: f.differed, noiseCompared: n.compared, noiseDiffered: n.differed }, opts);
    const dq = f.field.startsWith(TRACE_FIELD.slower) ? deltas.of(f.route, f.shadow, f.endpoint, f.field) : undefined;
    const list = fieldsByEndpoint.get(key(f)) ?? [];
    list.push({
      field: f.field,
      kind: f.kind,
      compared,
      differed: f.differed,
      noiseCompared: n.compared,
      noiseDiffered: n.differed,
      ...v,
      ...(meanDeltaMs === undefined ? {} : { meanDeltaMs }),
      ...(dq === undefined ? {} : { deltaMs: dq }),
    });
    fieldsByEndpoint.set(key(f), list);
  }
  const statusesBy = groupBy(rows.statuses, key);
  const latencyBy = new Map(rows.latency.map((l) => [key(l), l]));
  const endpoints = rows.pairs.map((p): EndpointReport => {
    const k = key(p);
    const fields = (fieldsByEndpoint.get(k) ?? []).sort(
      (a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] || b.rate - a.rate || a.field.localeCompare(b.field),
    );
    const lat = latencyBy.get(k);
    return {
      route: p.route,
      shadow: p.shadow,
      endpoint: p.endpoint,
      pairs: p.count,
      realRate: Math.max(0, ...fields.filter((f) => f.verdict === 'real').map((f) => f.rate)),
      unmeasuredRate: Math.max(0, ...fields.filter((f) => f.verdict === 'unmeasured').map((f) => f.rate)),
      fields,
      fieldsTotal: fields.length,
      statuses: (statusesBy.get(k) ?? [])
        .map(({ primary, candidate, count: c }) => ({ primary, candidate, count: c }))
        .sort((a, b) => b.count - a.count),
      latency: {
        samples: lat ? count(lat.primary) : 0,
        primary: quantiles(lat?.primary, LATENCY_BOUNDS),
        candidate: quantiles(lat?.candidate, LATENCY_BOUNDS),
        delta: quantiles(lat?.delta, DELTA_BOUNDS),
      },
    };
  });
  endpoints.sort((a, b) => b.realRate - a.realRate || b.unmeasuredRate - a.unmeasuredRate || b.pairs - a.pairs);
  return endpoints;
}

function quantiles(hist: readonly number[] | undefined, bounds: readonly number[]): Quantiles {
  if (!hist) return { p50: undefined, p95: undefined, p99: undefined };
  return { p50: quantile(hist, bounds, 0.5), p95: quantile(hist, bounds, 0.95), p99: quantile(hist, bounds, 0.99) };
}

/**
 * A status or error difference whose noise was never observed: no run showed the control itself flapping
 * there, so 200 → 500 (or → connection error) is taken as real — otherwise a candidate that fails every
 * request would pass a non-strict gate as merely "unmeasured".
 */
function unobservedOutcome(f: FieldReport): boolean {
  return (f.field === 'status' || f.field === 'error') && f.noiseCompared === 0;
}

/**
 * Fields that fail a CI gate: `real` fields above `rate` (and `unmeasured` ones too when `strict`;
 * a status/error change with no noise observed always counts).
 * @example failingFields(report, 0.01).length > 0 // → exit 1
 */
export function failingFields(
  report: Pick<DiffReport, 'endpoints'>,
  rate: number,
  strict = false,
): { endpoint: EndpointReport; field: FieldReport }[] {
  return report.endpoints.flatMap((endpoint) =>
    endpoint.fields
      .filter((f) => f.rate > rate && (f.verdict === 'real' || (f.verdict === 'unmeasured' && (strict || unobservedOutcome(f)))))
      .map((field) => ({ endpoint, field })),
  );
}
