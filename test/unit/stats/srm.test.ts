/**
 * The sequential SRM test's Bayes factor against SciPy (`scipy.special.gammaln`, the closed form of
 * Lindon & Malek 2022 eq. for the Dirichlet-multinomial, evaluated independently in python3), and
 * ln Γ against SciPy; plus an A/A check that watching after every unit keeps false alarms ≤ α.
 */
import { describe, expect, it } from 'vitest';
import { logGamma } from '../../../src/stats/gamma.js';
import { mulberry32 } from '../../../src/stats/random.js';
import { srmLogBayesFactor, srmPValue } from '../../../src/stats/srm.js';

describe('logGamma', () => {
  it.each([
    [5, 3.1780538303479458],
    [0.5, 0.5723649429247],
    [100.5, 361.43554046777757],
    [1e6, 12815504.569147611],
    [0.1, 2.252712651734206],
  ])('ln Γ(%d) matches SciPy', (x, want) => {
    expect(Math.abs(logGamma(x) - want) / Math.abs(want)).toBeLessThan(1e-13);
  });
});

describe('srmLogBayesFactor (k = 100)', () => {
  it.each([
    [[0.5, 0.5], [60, 40], 0.6588918180466266],
    [[0.5, 0.5], [520, 480], -0.4731252336700891],
    [[0.5, 0.5], [5500, 4500], 47.2810423637784],
    [[0.9, 0.1], [850, 150], 9.867116863294825],
    [[1 / 3, 1 / 3, 1 / 3], [100, 120, 80], 1.6314656109536827],
    [[0.5, 0.5], [0, 0], 0],
  ])('expected %j, observed %j: ln BF = %d as SciPy computes it', (expected, observed, want) => {
    expect(srmLogBayesFactor({ expected, observed })).toBeCloseTo(want, 9);
  });

  it('p-values: 5500/4500 of a 50/50 split is a mismatch, 520/480 is not; phases multiply', () => {
    expect(srmPValue([{ expected: [0.5, 0.5], observed: [5500, 4500] }])).toBeCloseTo(2.9248540707476234e-21, 30);
    expect(srmPValue([{ expected: [0.5, 0.5], observed: [520, 480] }])).toBe(1);
    const two = srmPValue([
      { expected: [0.9, 0.1], observed: [850, 150] },
      { expected: [0.5, 0.5], observed: [60, 40] },
    ]);
    expect(two).toBeCloseTo(Math.exp(-(9.867116863294825 + 0.6588918180466266)), 12);
  });

  it('A/A: 1,000 experiments of 2,000 units over a 10% → 50% ramp, checked after every unit: ≤ 0.1% alarm at p < 0.001', () => {
    const rnd = mulberry32(11);
    let alarms = 0;
    for (let e = 0; e < 1000; e++) {
      const phases = [
        { expected: [0.9, 0.1], observed: [0, 0] },
        { expected: [0.5, 0.5], observed: [0, 0] },
      ];
      for (let t = 0; t < 2000; t++) {
        const ph = phases[t < 1000 ? 0 : 1]!;
        ph.observed[rnd() < ph.expected[0]! ? 0 : 1]!++;
        if (srmPValue(phases) < 0.001) {
          alarms++;
          break;
        }
      }
    }
    expect(alarms / 1000).toBeLessThanOrEqual(0.001);
    expect(alarms).toMatchInlineSnapshot(`1`);
  });

  it('detects a variant that loses 20% of its users within 4,000 units in most experiments', () => {
    const rnd = mulberry32(12);
    let caught = 0;
    for (let e = 0; e < 200; e++) {
      const ph = { expected: [0.5, 0.5], observed: [0, 0] };
      for (let t = 0; t < 4000; t++) {
        const arm = rnd() < 0.5 ? 0 : 1;
        if (arm === 1 && rnd() < 0.2) continue;
        ph.observed[arm]!++;
        if (srmPValue([ph]) < 0.001) {
          caught++;
          break;
        }
      }
    }
    expect(caught / 200).toBeGreaterThan(0.5);
    expect(caught / 200).toMatchInlineSnapshot(`0.99`);
  });
});
