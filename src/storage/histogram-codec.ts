/**
 * How latency histograms are stored: JSON arrays of counts. Merging is element-wise addition (see
 * stats/histogram.ts), done in JS because SQLite has no array type.
 */
import type { DiffRows } from './types.js';

/** Serializes a histogram for a TEXT column. */
export function encodeHistogram(hist: readonly number[]): string {
  return JSON.stringify(hist);
}

/** Parses a stored histogram; anything that is not an array of numbers reads as empty. */
export function decodeHistogram(text: string): number[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.map((n) => (typeof n === 'number' ? n : 0)) : [];
}

/** One stored paired-delta histogram row of one hour (diff_deltas). */
export interface DeltaHourRow {
  readonly route: string;
  readonly shadow: string;
  readonly endpoint: string;
  readonly field: string;
  readonly noise: boolean;
  readonly hist: readonly number[];
}

/**
 * Sums the hours of paired-delta rows per (route, shadow, endpoint, field, noise); both stores read this way.
 * @example mergeDeltaHours([{ …, field: 'trace:slower:db', noise: false, hist: [1] }, { …same, hist: [2] }]) // one row, hist [3]
 */
export function mergeDeltaHours(rows: readonly DeltaHourRow[]): NonNullable<DiffRows['deltas']>[number][] {
  const out = new Map<string, NonNullable<DiffRows['deltas']>[number]>();
  for (const r of rows) {
    const key = `${r.route}\0${r.shadow}\0${r.endpoint}\0${r.field}\0${r.noise ? 1 : 0}`;
    const seen = out.get(key);
    if (seen) seen.hist = addHistograms(seen.hist, r.hist);
    else out.set(key, { route: r.route, shadow: r.shadow, endpoint: r.endpoint, field: r.field, noise: r.noise, hist: [...r.hist] });
  }
  return [...out.values()];
}

/**
 * Element-wise sum into a new array as long as the longer input (the bucket layout is fixed, so in
 * practice both have the same length; a changed layout would need a migration, not a silent merge).
 * @example addHistograms([1, 2], [0, 1, 5]) // [1, 3, 5]
 */
export function addHistograms(a: readonly number[], b: readonly number[]): number[] {
  const out = new Array<number>(Math.max(a.length, b.length));
  for (let i = 0; i < out.length; i++) out[i] = (a[i] ?? 0) + (b[i] ?? 0);
  return out;
}
