/**
 * Multiplicity: with several goals and several variants, each compared with control at α, the
 * chance that *some* interval excludes zero by luck grows with the number of comparisons m (four
 * independent A/A comparisons: 1 − 0.95⁴ ≈ 19%). The Bonferroni correction runs each comparison at
 * α/m, which bounds the family-wise error rate by α whatever the dependence between goals (Boole's
 * inequality; Dunn 1961, "Multiple comparisons among means", JASA 56:52–64). It applies to
 * confidence sequences unchanged: each CS at α/m fails to cover at any time with probability ≤ α/m,
 * so all of them cover at all times with probability ≥ 1 − α (Howard et al. 2021, §2).
 */

/** How results correct for several comparisons. */
export type Correction = 'bonferroni' | 'none';

/**
 * The α each comparison runs at.
 * @example comparisonAlpha(0.05, 4, 'bonferroni') // 0.0125
 */
export function comparisonAlpha(alpha: number, comparisons: number, correction: Correction): number {
  return correction === 'bonferroni' && comparisons > 1 ? alpha / comparisons : alpha;
}
