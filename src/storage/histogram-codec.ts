/**
 * How latency histograms are stored: JSON arrays of counts. Merging is element-wise addition (see
 * stats/histogram.ts), done in JS because SQLite has no array type.
 */

/** Serializes a histogram for a TEXT column. */
export function encodeHistogram(hist: readonly number[]): string {
  return JSON.stringify(hist);
}

/** Parses a stored histogram; anything that is not an array of numbers reads as empty. */
export function decodeHistogram(text: string): number[] {
  const parsed: unknown = JSON.parse(text);
  return Array.isArray(parsed) ? parsed.map((n) => (typeof n === 'number' ? n : 0)) : [];
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
