/**
 * Fixed-bucket latency histograms: mergeable by adding arrays (so per-hour rows can be summed in
 * SQL-free code and across replicas), with ~10% relative error on quantiles. Signed variant for
 * latency deltas (shadow − primary can be negative).
 */

function geometric(from: number, to: number, growth: number): number[] {
  const out: number[] = [];
  for (let v = from; v < to; v *= growth) out.push(Math.round(v * 1000) / 1000);
  out.push(to);
  return out;
}

/** Upper bounds (ms) of latency buckets: 0.1 ms … 120 s, 10% apart; one overflow bucket after. */
export const LATENCY_BOUNDS: readonly number[] = geometric(0.1, 120_000, 1.1);

/** Upper bounds (ms) of delta buckets: −120 s … −0.1, 0, 0.1 … 120 s; one overflow bucket after. */
export const DELTA_BOUNDS: readonly number[] = [...LATENCY_BOUNDS.map((b) => -b).reverse(), 0, ...LATENCY_BOUNDS];

/** A new empty histogram for `bounds`. */
export function emptyHistogram(bounds: readonly number[]): number[] {
  return new Array<number>(bounds.length + 1).fill(0);
}

/**
 * Counts `value` into the first bucket whose upper bound is ≥ value (binary search).
 * @example const h = emptyHistogram(LATENCY_BOUNDS); observe(h, LATENCY_BOUNDS, 12.5)
 */
export function observe(hist: number[], bounds: readonly number[], value: number): void {
  let lo = 0;
  let hi = bounds.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (bounds[mid]! >= value) hi = mid;
    else lo = mid + 1;
  }
  hist[lo]!++;
}

/**
 * The q-quantile (0..1) as the upper bound of the bucket holding it; undefined when empty.
 * @example quantile(h, LATENCY_BOUNDS, 0.99)
 */
export function quantile(hist: readonly number[], bounds: readonly number[], q: number): number | undefined {
  const total = hist.reduce((s, n) => s + n, 0);
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let i = 0; i < hist.length; i++) {
    seen += hist[i]!;
    if (seen >= rank) return i < bounds.length ? bounds[i]! : bounds[bounds.length - 1]!;
  }
  return bounds[bounds.length - 1];
}

/** Total observations. */
export function count(hist: readonly number[]): number {
  return hist.reduce((s, n) => s + n, 0);
}
