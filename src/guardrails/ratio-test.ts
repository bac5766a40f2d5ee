/**
 * Anytime-valid tests of the ratio ρ = p_variant / p_control of two arms' bad (or slow) observation
 * rates, conditioned on which arm each observation fell on.
 *
 * Model. In a second where the variant holds share s of the two arms' evidence, an observation falls
 * on the variant with probability θ(ρ, s) = ρ·s / (ρ·s + 1 − s); the control's own rate cancels, so
 * there is no nuisance parameter (the conditional-binomial construction of Lindon, Sanden & Shirikian,
 * "Rapid Regression Detection in Software Deployments through Sequential Testing", KDD 2022). The
 * share is the realized share of the same second, never the configured weight.
 *
 * State. A log-likelihood vector on the grid ρ_i = tolerance · 2^(i/4), i = −36 … 24:
 *     ll_i = Σ  x·ln θ(ρ_i, s) + y·ln(1 − θ(ρ_i, s))     (x on the variant, y on the control, per second)
 *
 * Fail fast, H0: ρ ≤ tolerance. Mixture over alternatives tolerance·2^(k/4), k = 1 … 24, weight 1/24
 * (mSPRT; Johari, Pekelis & Walsh, "Always Valid Inference", Oper. Res. 2022). Each term is a
 * nonnegative supermartingale under H0, so Ville's inequality gives P(∃t: M_t ≥ 1/α) ≤ α.
 *
 * Upper bound. For each grid point r, the mirror mixture against H0_r: ρ ≥ r (alternatives r·2^(−k/4),
 * k = 1 … 12); the r it cannot reject form a confidence sequence (Howard, Ramdas, McAuliffe & Sekhon,
 * "Time-uniform, nonparametric, nonasymptotic confidence sequences", Ann. Stat. 2021).
 */

const STEP = 2 ** 0.25;
/** Alternatives above the null (fail fast) and below a grid point (upper bound). */
export const FAIL_ALTERNATIVES = 24;
const DOWN = 12;
const LOW = 36;
/** Grid size and the index of ρ = tolerance. */
export const GRID_SIZE = LOW + FAIL_ALTERNATIVES + 1;
export const GRID_NULL = LOW;

/** Grid multipliers of the tolerance: index 0 = 2^(−9), GRID_NULL = 1, last = 64. */
export const GRID: readonly number[] = Array.from({ length: GRID_SIZE }, (_, i) => STEP ** (i - LOW));

/**
 * Probability that an observation falls on the variant when the ratio is ρ and the variant's share is s.
 * @example theta(1.5, 0.01) // 0.014925… (= 0.015 / 1.005)
 */
export function theta(rho: number, s: number): number {
  return (rho * s) / (rho * s + 1 - s);
}

/**
 * A fresh, empty log-likelihood vector.
 * @example const ll = emptyLL()
 */
export function emptyLL(): Float64Array {
  return new Float64Array(GRID_SIZE);
}

/**
 * Adds one second's observations (`x` on the variant, `y` on the control at share `s`) to `lls`.
 * Shares of 0 or 1 carry no information and change nothing.
 * @example addLL([ll], 1.5, 0.01, 1, 0)
 */
export function addLL(lls: readonly Float64Array[], tolerance: number, s: number, x: number, y: number): void {
  if (!(s > 0 && s < 1) || x + y <= 0 || lls.length === 0) return;
  const logRest = Math.log(1 - s);
  const logS = Math.log(s) + Math.log(tolerance);
  // Hot in the bench: one log per grid point (ln ρ_i is precomputed).
  for (let i = 0; i < GRID_SIZE; i++) {
    const logDen = Math.log(GRID[i]! * tolerance * s + 1 - s);
    const inc = x * (LOG_GRID[i]! + logS - logDen) + y * (logRest - logDen);
    for (let j = 0; j < lls.length; j++) lls[j]![i]! += inc;
  }
}

const LOG_GRID = GRID.map(Math.log);

/**
 * ln M of the fail-fast mixture against ρ ≤ tolerance, after taking away `penalty` variant
 * observations made at share `sMin` (the most any single unit or client contributed — see
 * engine-evidence.ts). With penalty 0 this is the plain e-value.
 * @example failLogE(ll, 1.5, 0, 1) >= Math.log(100)
 */
export function failLogE(ll: Float64Array, tolerance: number, penalty: number, sMin: number): number {
  const terms = TERMS;
  const penalize = penalty > 0 && sMin > 0 && sMin < 1;
  const null0 = ll[GRID_NULL]!;
  const d0 = penalize ? Math.log(theta(tolerance, sMin)) : 0;
  for (let k = 1; k <= FAIL_ALTERNATIVES; k++) {
    const i = GRID_NULL + k;
    // An observation on the variant raises ll_k − ll_0 by ln θ_k − ln θ_0, most at the smallest share.
    const taken = penalize ? penalty * (Math.log(theta(GRID[i]! * tolerance, sMin)) - d0) : 0;
    terms[k - 1] = ll[i]! - null0 - taken;
  }
  return logMeanExp(terms, FAIL_ALTERNATIVES);
}

const TERMS = new Float64Array(FAIL_ALTERNATIVES);

/**
 * Smallest grid ratio r with ρ < r at confidence 1 − α (anytime-valid); Infinity when unbounded.
 * @example upperBound(ll, 1.5, 0.01) <= 1.5 // "ρ < tolerance" proven
 */
export function upperBound(ll: Float64Array, tolerance: number, alpha: number): number {
  const limit = Math.log(1 / alpha);
  for (let j = GRID_SIZE - 1; j >= 0; j--) {
    if (boundLogE(ll, j) < limit) return j === GRID_SIZE - 1 ? Infinity : GRID[j + 1]! * tolerance;
  }
  return GRID[0]! * tolerance;
}

/** ln of the mixture against ρ ≥ GRID[j]; alternatives below the grid are dropped (conservative). */
function boundLogE(ll: Float64Array, j: number): number {
  const terms = new Float64Array(DOWN);
  let n = 0;
  for (let k = 1; k <= DOWN && j - k >= 0; k++) terms[n++] = ll[j - k]! - ll[j]!;
  return logMeanExp(terms.subarray(0, n), DOWN);
}

/**
 * ln(Σ exp(x_i) / weightCount), stable for large |x|.
 * @example logMeanExp(Float64Array.of(0, 0), 2) // 0
 */
export function logMeanExp(xs: Float64Array, weightCount: number): number {
  if (xs.length === 0) return -Infinity;
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  if (max === -Infinity) return -Infinity;
  let sum = 0;
  for (const x of xs) sum += Math.exp(x - max);
  return max + Math.log(sum) - Math.log(weightCount);
}
