// The Bonferroni correction: α split over the comparisons, and a seeded simulation of A/A
// experiments with four independent goals, each watched after every unit with the confidence
// sequence: uncorrected, some goal is declared significant far more often than α; corrected, at most α.
import { describe, expect, it } from 'vitest';
import { MIN_INTERVAL_UNITS } from '../../../src/experiments/analysis.js';
import { csMultiplier, mixtureRho } from '../../../src/stats/confidence-sequence.js';
import { lift, type ArmSums } from '../../../src/stats/lift.js';
import { comparisonAlpha } from '../../../src/stats/multiplicity.js';
import { mulberry32 } from '../../../src/stats/random.js';

describe('comparisonAlpha', () => {
  it('divides α by the number of comparisons under Bonferroni, and leaves one comparison or none alone', () => {
    expect(comparisonAlpha(0.05, 4, 'bonferroni')).toBe(0.0125);
    expect(comparisonAlpha(0.05, 1, 'bonferroni')).toBe(0.05);
    expect(comparisonAlpha(0.05, 0, 'bonferroni')).toBe(0.05);
    expect(comparisonAlpha(0.05, 4, 'none')).toBe(0.05);
  });
});

const GOALS = 4;
const EXPERIMENTS = 500;
const UNITS = 1000;

/** Share of A/A experiments where any of GOALS conversion goals (p = 0.2, independent) was ever significant. */
function familyWiseError(seed: number, alpha: number): number {
  const rnd = mulberry32(seed);
  const rho = mixtureRho(alpha, 200);
  let hits = 0;
  for (let e = 0; e < EXPERIMENTS; e++) {
    const arms: ArmSums[][] = Array.from({ length: GOALS }, () => [
      { units: 0, sum: 0, sumSq: 0 },
      { units: 0, sum: 0, sumSq: 0 },
    ]);
    let found = false;
    for (let t = 1; t <= UNITS && !found; t++) {
      const arm = rnd() < 0.5 ? 0 : 1;
      for (const g of arms) {
        const y = rnd() < 0.2 ? 1 : 0;
        const a = g[arm]!;
        g[arm] = { units: a.units + 1, sum: a.sum + y, sumSq: a.sumSq + y };
      }
      if (arms[0]![0]!.units < MIN_INTERVAL_UNITS || arms[0]![1]!.units < MIN_INTERVAL_UNITS) continue;
      const k = csMultiplier(t, rho, alpha);
      found = arms.some((g) => {
        const l = lift(g[0]!, g[1]!);
        return l !== undefined && Math.abs(l.absolute) > k * l.absoluteSe;
      });
    }
    if (found) hits++;
  }
  return hits / EXPERIMENTS;
}

describe('A/A with four goals, 500 experiments × 1,000 units, watched after every unit', () => {
  it('Bonferroni keeps the family-wise error at most α; uncorrected it is several times higher', () => {
    const corrected = familyWiseError(11, comparisonAlpha(0.05, GOALS, 'bonferroni'));
    const uncorrected = familyWiseError(11, 0.05);
    expect(corrected).toBeLessThanOrEqual(0.05);
    expect(uncorrected).toBeGreaterThan(corrected);
    expect({ corrected, uncorrected }).toMatchInlineSnapshot(`
      {
        "corrected": 0.04,
        "uncorrected": 0.118,
      }
    `);
  });
});
