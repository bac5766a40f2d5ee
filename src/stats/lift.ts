/**
 * Lift of a variant over control from per-unit sufficient statistics (units, sum, sum of squares):
 * the difference in means with its Welch standard error, and the relative lift with the delta
 * method's standard error (var(m̂ᵥ/m̂꜀) ≈ var(m̂ᵥ)/m꜀² + mᵥ²·var(m̂꜀)/m꜀⁴; Deng, Knoblich & Lu 2018,
 * "Applying the Delta Method in Metric Analytics", KDD). Intervals are `estimate ± k · se` for the
 * multiplier k of the chosen method (confidence-sequence.ts).
 */

/** Per-unit sums of one arm for one metric. */
export interface ArmSums {
  readonly units: number;
  readonly sum: number;
  readonly sumSq: number;
}

/** Mean and unbiased variance of one arm's per-unit values. */
export interface ArmMoments {
  readonly units: number;
  readonly mean: number | undefined;
  readonly variance: number | undefined;
}

/**
 * Mean and sample variance (n − 1) from sums; undefined when there are too few units.
 * @example moments({ units: 4, sum: 2, sumSq: 2 }) // { units: 4, mean: 0.5, variance: 0.3333 }
 */
export function moments(s: ArmSums): ArmMoments {
  if (s.units < 1) return { units: s.units, mean: undefined, variance: undefined };
  const mean = s.sum / s.units;
  if (s.units < 2) return { units: s.units, mean, variance: undefined };
  // Clamped: sums of squares minus n·mean² can round to a tiny negative number.
  const variance = Math.max(0, (s.sumSq - s.units * mean * mean) / (s.units - 1));
  return { units: s.units, mean, variance };
}

/** Point estimates and standard errors of the lift. */
export interface Lift {
  readonly absolute: number;
  readonly absoluteSe: number;
  /** undefined when control's mean is 0. */
  readonly relative: number | undefined;
  readonly relativeSe: number | undefined;
}

/**
 * The lift of `variant` over `control`; undefined until each arm has two units.
 * @example lift({ units: 1000, sum: 100, sumSq: 100 }, { units: 1000, sum: 130, sumSq: 130 })?.absolute // 0.03
 */
export function lift(control: ArmSums, variant: ArmSums): Lift | undefined {
  const c = moments(control);
  const v = moments(variant);
  if (c.variance === undefined || v.variance === undefined) return undefined;
  const mc = c.mean!;
  const mv = v.mean!;
  const varC = c.variance / c.units;
  const varV = v.variance / v.units;
  const absolute = mv - mc;
  const absoluteSe = Math.sqrt(varC + varV);
  if (mc === 0) return { absolute, absoluteSe, relative: undefined, relativeSe: undefined };
  const relative = mv / mc - 1;
  const relativeSe = Math.sqrt(varV / (mc * mc) + (mv * mv * varC) / mc ** 4);
  return { absolute, absoluteSe, relative, relativeSe };
}

/** `[estimate − k·se, estimate + k·se]`, or undefined without both. */
export function interval(estimate: number | undefined, se: number | undefined, k: number): [number, number] | undefined {
  if (estimate === undefined || se === undefined || !Number.isFinite(k)) return undefined;
  return [estimate - k * se, estimate + k * se];
}
