/**
 * The asymptotic confidence sequence of Waudby-Smith, Arnold, Wu, Howard & Ramdas, "Time-uniform
 * central limit theory and asymptotic confidence sequences" (Annals of Statistics, 2024;
 * arXiv:2103.06476, Theorem 2.2): with the plug-in standard deviation σ̂ₜ after t observations,
 *
 *   μ̂ₜ ± σ̂ₜ · √( 2(tρ² + 1) / (t²ρ²) · log(√(tρ² + 1) / α) )
 *
 * covers μ at every t at once with probability → 1 − α. It is Robbins' normal-mixture boundary
 * (Howard, Ramdas, McAuliffe & Sekhon 2021, "Time-uniform, nonparametric, nonasymptotic confidence
 * sequences", Annals of Statistics, eq. (14)) applied to the central limit approximation, so it
 * stays valid however often it is looked at. ρ sets where it is tightest; `mixtureRho(α, t*)` makes
 * it tightest at the planned sample t* (the paper's recommendation, its eq. (2.7)).
 */
import { normalQuantile } from './normal.js';

/**
 * The mixture parameter ρ that minimizes the boundary's width at sample size `tStar`.
 * @example mixtureRho(0.05, 1000) // ≈ 0.0891
 */
export function mixtureRho(alpha: number, tStar: number): number {
  const l = -2 * Math.log(alpha);
  return Math.sqrt((l + Math.log(l + 1)) / Math.max(1, tStar));
}

/**
 * The number of standard errors the confidence sequence spans on each side after `t` observations:
 * `σ̂ₜ/√t · csMultiplier(t, ρ, α)` is its half-width. Infinity before the first observation.
 * @example csMultiplier(1000, mixtureRho(0.05, 1000), 0.05) // ≈ 3.035 (vs 1.96 for a fixed-horizon interval)
 */
export function csMultiplier(t: number, rho: number, alpha: number): number {
  if (!(t > 0)) return Infinity;
  const v = t * rho * rho;
  return Math.sqrt((2 * (v + 1) * Math.log(Math.sqrt(v + 1) / alpha)) / v);
}

/**
 * The fixed-horizon two-sided multiplier z₁₋α/₂, valid only when looked at once, at a planned time.
 * @example fixedMultiplier(0.05) // 1.959963984540054
 */
export function fixedMultiplier(alpha: number): number {
  return normalQuantile(1 - alpha / 2);
}
