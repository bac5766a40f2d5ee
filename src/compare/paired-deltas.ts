/**
 * Paired latency deltas of `trace:slower:` fields as quantiles, noise-corrected: the shadow pairs'
 * deltas (shadow − primary, per operation) against the noise pairs' (a noiseFrom copy − primary, or
 * a repeated primary − the previous one) — what the operation's latency does between two runs of
 * the same build. The corrected quantile is the shadow pairs' minus the noise pairs' at the same
 * rank, so "+40 ms p50" means 40 ms beyond what two identical builds already differ by.
 */
import { DELTA_BOUNDS, count, quantile } from '../stats/histogram.js';
import type { DiffRows } from '../storage/types.js';
import { addHistograms } from '../storage/histogram-codec.js';
import type { EndpointReport, FieldReport } from './report.js';

/** One field's paired delta quantiles, ms (rounded to 0.1; ~10% bucket resolution). */
export interface PairedDeltas {
  /** Shadow pairs with a delta, and their p50 / p95. */
  readonly pairs: number;
  readonly p50: number;
  readonly p95: number;
  /** Noise pairs with a delta (0: unmeasured, the corrected values equal the raw ones). */
  readonly noisePairs: number;
  readonly noiseP50?: number;
  readonly noiseP95?: number;
  /** p50 / p95 minus the noise pairs' p50 / p95. */
  readonly correctedP50: number;
  readonly correctedP95: number;
}

const round = (v: number) => Math.round(v * 10) / 10;

/**
 * Indexes the rows' delta histograms: `of(route, shadow, endpoint, field)` gives the field's
 * quantiles, or undefined when it has no shadow-pair deltas (stores that predate them, other fields).
 * @example pairedDeltas(rows).of('checkout', 'dark', 'GET /x', 'trace:slower:db SELECT')?.correctedP50 // 38.9
 */
export function pairedDeltas(rows: Pick<DiffRows, 'deltas'>): {
  of(route: string, shadow: string, endpoint: string, field: string): PairedDeltas | undefined;
} {
  const pairs = new Map<string, number[]>();
  const noise = new Map<string, number[]>();
  for (const r of rows.deltas ?? []) {
    // Noise of any shadow ('*' repeats, noiseFrom copies) counts for every shadow, as for field counts.
    const k = r.noise ? `${r.route}\u0000${r.endpoint}\u0000${r.field}` : `${r.route}\u0000${r.shadow}\u0000${r.endpoint}\u0000${r.field}`;
    const into = r.noise ? noise : pairs;
    const seen = into.get(k);
    into.set(k, seen ? addHistograms(seen, r.hist) : r.hist);
  }
  return {
    of(route, shadow, endpoint, field) {
      const h = pairs.get(`${route}\u0000${shadow}\u0000${endpoint}\u0000${field}`);
      const n = count(h ?? []);
      if (!h || n === 0) return undefined;
      const p50 = quantile(h, DELTA_BOUNDS, 0.5)!;
      const p95 = quantile(h, DELTA_BOUNDS, 0.95)!;
      const nh = noise.get(`${route}\u0000${endpoint}\u0000${field}`);
      const noisePairs = count(nh ?? []);
      if (!nh || noisePairs === 0)
        return { pairs: n, p50: round(p50), p95: round(p95), noisePairs: 0, correctedP50: round(p50), correctedP95: round(p95) };
      const noiseP50 = quantile(nh, DELTA_BOUNDS, 0.5)!;
      const noiseP95 = quantile(nh, DELTA_BOUNDS, 0.95)!;
      return {
        pairs: n,
        p50: round(p50),
        p95: round(p95),
        noisePairs,
        noiseP50: round(noiseP50),
        noiseP95: round(noiseP95),
        correctedP50: round(p50 - noiseP50),
        correctedP95: round(p95 - noiseP95),
      };
    },
  };
}

/** A latency gate on `trace:slower:` fields: the noise-corrected quantile must stay at or below `ms`. */
export interface SlowerGate {
  readonly quantile: 'p50' | 'p95';
  readonly ms: number;
}

/**
 * The `real` fields whose noise-corrected paired delta breaks a gate (`fieldlab diffs --fail-on trace-slower:20ms`).
 * @example slowerFailing(endpoints, [{ quantile: 'p50', ms: 20 }]) // [{ endpoint, field, gate, value: 38.9 }]
 */
export function slowerFailing(
  endpoints: readonly EndpointReport[],
  gates: readonly SlowerGate[],
): { endpoint: EndpointReport; field: FieldReport; gate: SlowerGate; value: number }[] {
  const out: { endpoint: EndpointReport; field: FieldReport; gate: SlowerGate; value: number }[] = [];
  for (const endpoint of endpoints)
    for (const field of endpoint.fields) {
      if (field.verdict !== 'real' || !field.deltaMs) continue;
      const gate = gates.find((g) => (g.quantile === 'p50' ? field.deltaMs!.correctedP50 : field.deltaMs!.correctedP95) > g.ms);
      if (gate)
        out.push({ endpoint, field, gate, value: gate.quantile === 'p50' ? field.deltaMs.correctedP50 : field.deltaMs.correctedP95 });
    }
  return out;
}
