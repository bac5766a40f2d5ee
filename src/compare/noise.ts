/**
 * The noise model: is a field's difference rate (primary vs shadow) above what the field does on
 * its own (primary vs primary: a noiseFrom copy, or repeats of the same request)?
 *
 * Diffy compares raw counts with fixed thresholds (`raw > noise`, relative > 20 %, absolute >
 * 0.03 %), which hides 100 extra failures on a field that is already noisy and ignores sample
 * size. Here both rates get Wilson score intervals (z = 1.96, ~95 %) and a field is `real` only
 * when the difference rate's lower bound clears the noise rate's upper bound AND the rates are at
 * least `minEffect` apart; with too few noise observations the verdict is `unmeasured` instead of a
 * guess. The learner and fingerprints that produce noise counts are re-exported from here.
 */
export { flattenLeaves, type Leaf, type Leaves, type FlattenOptions } from './flatten.js';
export { createRepeatNoise, diffLeaves, repeatKey, type RepeatLearner, type RepeatNoise, type RepeatNoiseOptions } from './repeat-noise.js';

/** A Wilson score interval for a proportion. */
export interface Interval {
  readonly rate: number;
  readonly lower: number;
  readonly upper: number;
}

/**
 * Wilson score interval of `successes` out of `n` (n = 0 gives [0, 1]). Unlike the normal
 * approximation it stays inside [0, 1] and behaves at rates of 0 and 1, which is where diff rates
 * live.
 * @example wilson(0, 100) // { rate: 0, lower: 0, upper: 0.037 }
 * @example wilson(50, 100) // { rate: 0.5, lower: 0.404, upper: 0.596 }
 */
export function wilson(successes: number, n: number, z = 1.96): Interval {
  const total = Number.isFinite(n) && n > 0 ? n : 0;
  if (total === 0) return { rate: 0, lower: 0, upper: 1 };
  const k = Math.min(Math.max(Number.isFinite(successes) ? successes : 0, 0), total);
  const p = k / total;
  const z2 = z * z;
  const denom = 1 + z2 / total;
  const center = (p + z2 / (2 * total)) / denom;
  const half = (z * Math.sqrt((p * (1 - p)) / total + z2 / (4 * total * total))) / denom;
  // Exact ends: floating point would otherwise put the upper bound of k = n at 0.9999999999999999.
  return { rate: p, lower: k === 0 ? 0 : Math.max(0, center - half), upper: k === total ? 1 : Math.min(1, center + half) };
}

/** Per-field counts, summed over pairs (compare) and noise observations (noise). */
export interface FieldCounts {
  /** Pairs that compared the field (primary vs shadow). */
  readonly compared: number;
  /** …of which it differed. */
  readonly differed: number;
  /** Noise observations of the field (primary vs primary copy, or primary repeats). */
  readonly noiseCompared: number;
  /** …of which it differed. */
  readonly noiseDiffered: number;
}

/** Thresholds; the defaults suit per-hour to per-day report windows. */
export interface NoiseOptions {
  /** Normal quantile for both intervals (default 1.96, ~95 % two-sided). */
  readonly z?: number;
  /** Smallest rate difference worth reporting (default 0.01 = one percentage point). */
  readonly minEffect?: number;
  /** Fewer noise observations than this → `unmeasured` (default 10). */
  readonly minNoiseSamples?: number;
}

/** `real`: above noise; `noise`: not distinguishable from noise; `unmeasured`: too little noise data. */
export type Verdict = 'real' | 'noise' | 'unmeasured';

/** The verdict with the numbers behind it, for the report. */
export interface FieldVerdict {
  readonly verdict: Verdict;
  /** differed / compared. */
  readonly rate: number;
  /** noiseDiffered / noiseCompared (0 when unobserved). */
  readonly noiseRate: number;
  /** Wilson lower bound of `rate`. */
  readonly lower: number;
  /** Wilson upper bound of `noiseRate` (1 when unobserved). */
  readonly noiseUpper: number;
}

/**
 * Classifies one field: `real` when wilson(differed, compared).lower > wilson(noiseDiffered,
 * noiseCompared).upper and rate − noiseRate ≥ minEffect; `unmeasured` when noiseCompared <
 * minNoiseSamples (show it as a difference, caveated); else `noise`. Meant for fields that
 * differed at least once.
 * @example classifyField({ compared: 300, differed: 300, noiseCompared: 270, noiseDiffered: 0 }) // verdict 'real'
 * @example classifyField({ compared: 300, differed: 300, noiseCompared: 270, noiseDiffered: 270 }) // verdict 'noise'
 */
export function classifyField(c: FieldCounts, opts: NoiseOptions = {}): FieldVerdict {
  const z = opts.z ?? 1.96;
  const diff = wilson(c.differed, c.compared, z);
  const noise = wilson(c.noiseDiffered, c.noiseCompared, z);
  const base = { rate: diff.rate, noiseRate: noise.rate, lower: diff.lower, noiseUpper: noise.upper };
  if (!(c.noiseCompared >= (opts.minNoiseSamples ?? 10))) return { verdict: 'unmeasured', ...base };
  const real = diff.lower > noise.upper && diff.rate - noise.rate >= (opts.minEffect ?? 0.01);
  return { verdict: real ? 'real' : 'noise', ...base };
}
