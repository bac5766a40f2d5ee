/**
 * How the shadow-diff report prints its numbers and words, shared by every view of it (the HTML
 * page, the terminal, the CI gate), so all of them print the same numbers the same way.
 */
import type { PairedDeltas } from './paired-deltas.js';
import { allSkipReasons } from '../mirror/skip-reasons.js';
import type { DiffFilter } from '../storage/types.js';

/**
 * A rate as a percentage; small rates keep two decimals so 0.04 % does not print as 0 %.
 * @example pct(0.5) // '50.0%'
 * @example pct(0.0004) // '0.04%'
 */
export function pct(rate: number): string {
  if (rate === 0) return '0%';
  if (rate === 1) return '100%';
  const p = rate * 100;
  return `${p < 1 ? p.toFixed(2) : p.toFixed(1)}%`;
}

/**
 * Milliseconds, or an en dash when there were no samples.
 * @example ms(12.345) // '12.3'
 */
export function ms(v: number | undefined): string {
  if (v === undefined) return '–';
  if (v === 0) return '0';
  const a = Math.abs(v);
  return a < 1 ? v.toFixed(2) : a < 100 ? v.toFixed(1) : String(Math.round(v));
}

/**
 * A signed latency delta: shadow minus primary.
 * @example signedMs(3) // '+3.0'
 */
export function signedMs(v: number | undefined): string {
  if (v === undefined) return '–';
  return v > 0 ? `+${ms(v)}` : ms(v);
}

/**
 * The paired latency delta shown beside a `trace:slower:` field (empty for other fields): the
 * noise-corrected p50 and p95 when the store has the quantiles, and the mean.
 * @example pairedDelta({ meanDeltaMs: 40.2 }) // '+40.2 ms mean paired delta'
 * @example pairedDelta({ meanDeltaMs: 40.2, deltaMs }) // '+38.9 ms p50, +44.1 ms p95 beyond noise (raw +39.8 / +45.0; noise +0.9 / +0.9 over 40 pairs) · +40.2 ms mean paired delta'
 */
export function pairedDelta(f: { readonly meanDeltaMs?: number; readonly deltaMs?: PairedDeltas }): string {
  const mean = f.meanDeltaMs === undefined ? '' : `${signedMs(f.meanDeltaMs)} ms mean paired delta`;
  const d = f.deltaMs;
  if (!d) return mean;
  const q =
    d.noisePairs === 0
      ? `${signedMs(d.p50)} ms p50, ${signedMs(d.p95)} ms p95 (noise unmeasured)`
      : `${signedMs(d.correctedP50)} ms p50, ${signedMs(d.correctedP95)} ms p95 beyond noise (raw ${signedMs(d.p50)} / ${signedMs(d.p95)}; noise ${signedMs(d.noiseP50)} / ${signedMs(d.noiseP95)} over ${d.noisePairs} pairs)`;
  return mean ? `${q} · ${mean}` : q;
}

/**
 * The report's filter and time window in words.
 * @example describeFilter({ route: 'checkout', since: 0 }) // 'route checkout · since 1970-01-01T00:00:00.000Z'
 */
export function describeFilter(f: DiffFilter): string {
  const parts: string[] = [];
  if (f.route) parts.push(`route ${f.route}`);
  if (f.shadow) parts.push(`shadow ${f.shadow}`);
  if (f.endpoint) parts.push(`endpoint ${f.endpoint}`);
  if (f.since !== undefined) parts.push(`since ${new Date(f.since).toISOString()}`);
  if (f.until !== undefined) parts.push(`until ${new Date(f.until).toISOString()}`);
  if (f.since === undefined && f.until === undefined) parts.push('all stored data (no time window)');
  return parts.join(' · ');
}

/** What each skip reason means (from the skip-reason registry), so a skipped request is never mistaken for a compared one. */
export const SKIP_REASONS: Readonly<Record<string, string>> = Object.fromEntries(allSkipReasons().map((r) => [r.code, r.description]));

/** One-line explanation of each verdict (tooltips, help text). */
export const VERDICT_HELP = {
  real: 'difference rate clearly above the field’s own noise (Wilson 95% lower bound > noise upper bound)',
  noise: 'not distinguishable from how the field changes on its own (primary vs primary)',
  unmeasured: 'too few noise observations to tell — shown as a difference, with that caveat',
} as const;
