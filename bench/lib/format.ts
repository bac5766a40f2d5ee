/** Number formatting shared by the bench reports. */

/** req/s as a grouped integer, latencies with two decimals; 'n/a' for non-finite values. */
export function fmt(v: number, kind: 'rps' | 'ms' | 'p99'): string {
  if (!Number.isFinite(v)) return 'n/a';
  return kind === 'rps' ? Math.round(v).toLocaleString('en-US') : v.toFixed(2);
}

/** A ratio as `1.23×`. */
export function fmtRatio(v: number): string {
  return Number.isFinite(v) ? `${v.toFixed(2)}×` : 'n/a';
}

/** Indents continuation lines of a multi-line message under a list item. */
export function indent(text: string): string {
  return text.replace(/\n/g, '\n    ');
}
