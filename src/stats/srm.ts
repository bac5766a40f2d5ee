/**
 * Sequential sample-ratio-mismatch test: Lindon & Malek, "Anytime-Valid Inference for Multinomial
 * Count Data" (NeurIPS 2022). Under H₀ each new unit lands in arm i with probability pᵢ; under the
 * alternative the shares are Dirichlet(k·p) distributed. The Bayes factor
 *
 *   BFₙ = Γ(Σαᵢ)/Γ(Σαᵢ + n) · Πᵢ Γ(αᵢ + nᵢ)/Γ(αᵢ) / Πᵢ pᵢ^nᵢ,   αᵢ = k·pᵢ
 *
 * is a test martingale under H₀, so p = min(1, 1/BFₙ) is an anytime-valid p-value: checking it after
 * every unit inflates no false alarm rate (Ville's inequality). Weight changes (ramp steps, rollbacks)
 * are handled per phase: units are grouped by the weights live at their first exposure, each phase
 * gets its own Bayes factor, and the product over phases is again a test martingale (each factor is
 * one under H₀ given the past), so one p-value covers the whole experiment.
 */
import { logGamma } from './gamma.js';

/** Units first exposed under one weight vector: counts and the probabilities the weights gave. */
export interface SrmPhase {
  /** Expected share per arm (sums to 1; arms with share 0 are left out of the test). */
  readonly expected: readonly number[];
  readonly observed: readonly number[];
}

/** Prior concentration k: shares under the alternative spread about ±5 points around a 50/50 split. */
export const SRM_CONCENTRATION = 100;

/**
 * ln BF of one phase (0 when it holds no units).
 * @example srmLogBayesFactor({ expected: [0.5, 0.5], observed: [60, 40] })
 */
export function srmLogBayesFactor(phase: SrmPhase, k = SRM_CONCENTRATION): number {
  let n = 0;
  let sumA = 0;
  let acc = 0;
  for (let i = 0; i < phase.expected.length; i++) {
    const p = phase.expected[i]!;
    const c = phase.observed[i] ?? 0;
    if (!(p > 0)) continue;
    const a = k * p;
    n += c;
    sumA += a;
    acc += logGamma(a + c) - logGamma(a) - c * Math.log(p);
  }
  if (n === 0) return 0;
  return acc + logGamma(sumA) - logGamma(sumA + n);
}

/**
 * The anytime-valid p-value over every phase: min(1, 1 / Π BF).
 * @example srmPValue([{ expected: [0.5, 0.5], observed: [520, 480] }]) // 1 (well within chance)
 */
export function srmPValue(phases: readonly SrmPhase[], k = SRM_CONCENTRATION): number {
  let logBf = 0;
  for (const ph of phases) logBf += srmLogBayesFactor(ph, k);
  return Math.min(1, Math.exp(-logBf));
}
