// Analysis from sufficient statistics: per-arm means and variances, lift with the confidence
// sequence (always) and the fixed-horizon interval (only once not early), "early" reasons, vital
// signs, and the diagnostics' alarms with their minimum counts.
import { afterAll, describe, expect, it } from 'vitest';
import { analyze } from '../../../src/experiments/analysis.js';
import { experimentsOf } from '../../../src/experiments/spec.js';
import { csMultiplier, mixtureRho } from '../../../src/stats/confidence-sequence.js';
import type { ExperimentSums } from '../../../src/storage/experiment-types.js';
import { EXPERIMENT_YAML, snapshotOf } from './fixtures.js';

const { snap, close } = snapshotOf(EXPERIMENT_YAML);
afterAll(close);
const spec = experimentsOf(snap).byRoute.get('product')!;
const T0 = 1_700_000_000_000;
const H = 3_600_000;

const goal = (g: string, arm: string, units: number, count = units, value = 0, countSq = count, valueSq = value) => ({
  goal: g,
  arm,
  units,
  count,
  countSq,
  value,
  valueSq,
});

function sums(over: Partial<ExperimentSums> = {}): ExperimentSums {
  return {
    startedAt: T0,
    arms: [
      { arm: 'control', weights: '50,50', units: 1000 },
      { arm: 'variant', weights: '50,50', units: 1000 },
    ],
    exposureSets: [],
    goals: [
      goal('checkout', 'control', 100),
      goal('checkout', 'variant', 130),
      goal('$requests', 'control', 1000, 5000, 200_000),
      goal('$requests', 'variant', 1000, 5000, 250_000),
      goal('$errors', 'variant', 40, 50),
    ],
    goalRequests: { total: 500, withoutKey: 5, unexposed: 5 },
    ...over,
  };
}

describe('analyze', () => {
  it('Bonferroni (the default): each goal × variant comparison runs at α / their number', () => {
    const bonf = snapshotOf(EXPERIMENT_YAML.replace('correction: none', 'correction: bonferroni'));
    try {
      const spec2 = experimentsOf(bonf.snap).byRoute.get('product')!;
      const r = analyze(spec2, sums(), { now: T0 + 2 * H, weights: [50, 50] });
      // Two goals × one variant: 0.05 / 2 per comparison.
      expect(r.config).toMatchObject({ alpha: 0.05, correction: 'bonferroni', comparisons: 2, comparisonAlpha: 0.025 });
      const l = r.goals.find((g) => g.name === 'checkout')!.lifts[0]!;
      const se = 0.014258446735297057;
      expect(l.sequential.absolute![1] - 0.03).toBeCloseTo(csMultiplier(2000, mixtureRho(0.025, 4), 0.025) * se, 12);
      // z₀.₉₈₇₅ = 2.241402727604947 (vs 1.96 uncorrected): 0.03 − 2.2414 · se = −0.00196, no longer significant.
      expect(l.fixed.absolute![0]).toBeCloseTo(0.03 - 2.241402727604947 * se, 12);
      expect(l.fixed.significant).toBe(false);
      const none = analyze(spec, sums(), { now: T0 + 2 * H, weights: [50, 50] });
      expect(none.config).toMatchObject({ correction: 'none', comparisons: 2, comparisonAlpha: 0.05 });
      expect(none.goals[0]!.lifts[0]!.fixed.significant).toBe(true);
    } finally {
      void bonf.close();
    }
  });

  it('conversion 100/1000 vs 130/1000 after 2 h: early until 1 h and 2 units per arm are reached (here: ready)', () => {
    const r = analyze(spec, sums(), { now: T0 + 2 * H, weights: [50, 50] });
    expect(r.early).toBe(false);
    expect(r.earlyReasons).toEqual([]);
    const checkout = r.goals.find((g) => g.name === 'checkout')!;
    expect(checkout.arms[0]).toMatchObject({ arm: 'control', units: 1000, mean: 0.1, total: 100 });
    expect(checkout.arms[0]!.variance).toBeCloseTo(0.09009009, 7);
    const l = checkout.lifts[0]!;
    expect(l.absolute).toBeCloseTo(0.03, 12);
    expect(l.relative).toBeCloseTo(0.3, 12);
    // The fixed interval is the z interval of test/unit/stats/lift.test.ts.
    expect(l.fixed.absolute![0]).toBeCloseTo(0.002053957923335053, 12);
    expect(l.fixed.significant).toBe(true);
    // The confidence sequence is wider: k = csMultiplier(2000 units, tuned for 2 × minUnits).
    const k = csMultiplier(2000, mixtureRho(0.05, 4), 0.05);
    expect(l.sequential.absolute![1] - 0.03).toBeCloseTo(k * 0.014258446735297057, 12);
    expect(l.sequential.significant).toBe(false);
    expect(r.arms).toEqual([
      { arm: 'control', units: 1000, weightPercent: 50 },
      { arm: 'variant', units: 1000, weightPercent: 50 },
    ]);
  });

  it('is early before minDuration, with the fixed interval withheld; the sequence is shown at once', () => {
    const r = analyze(spec, sums(), { now: T0 + 20 * 60_000 });
    expect(r.early).toBe(true);
    expect(r.earlyReasons).toEqual(['ran 20m of 1h']);
    const l = r.goals[0]!.lifts[0]!;
    expect(l.fixed).toEqual({ method: 'z', available: false, absolute: null, relative: null, significant: null });
    expect(l.sequential.absolute).not.toBeNull();
  });

  it('gives no interval below 30 units an arm, and names the arms short of minUnits', () => {
    const r = analyze(
      spec,
      sums({
        arms: [
          { arm: 'control', weights: '50,50', units: 1 },
          { arm: 'variant', weights: '50,50', units: 20 },
        ],
        goals: [goal('checkout', 'control', 1), goal('checkout', 'variant', 5)],
      }),
      { now: T0 + 2 * H },
    );
    expect(r.earlyReasons).toEqual(['control has 1 of 2 units']);
    expect(r.goals[0]!.lifts[0]!.sequential).toMatchObject({ absolute: null, relative: null, significant: null });
  });

  it('vital signs per arm: requests per unit, error rate, mean latency', () => {
    const r = analyze(spec, sums(), { now: T0 + 2 * H });
    expect(r.vitals).toEqual([
      { arm: 'control', units: 1000, requests: 5000, requestsPerUnit: 5, errors: 0, errorRate: 0, meanLatencyMs: 40 },
      { arm: 'variant', units: 1000, requests: 5000, requestsPerUnit: 5, errors: 50, errorRate: 0.01, meanLatencyMs: 50 },
    ]);
  });

  it('raises SRM, leak and goal-traffic alarms past their thresholds, and not below their minimum counts', () => {
    const bad = analyze(
      spec,
      sums({
        arms: [
          { arm: 'control', weights: '50,50', units: 1000 },
          { arm: 'variant', weights: '50,50', units: 800 },
        ],
        // Both arms under the same weights: no bucket explains that (a real leak, 30 of 1,800).
        exposureSets: [
          {
            exposures: [
              ['control', '50,50'],
              ['variant', '50,50'],
            ],
            units: 30,
          },
        ],
        goalRequests: { total: 200, withoutKey: 8, unexposed: 5 },
      }),
      { now: T0 + 2 * H },
    );
    expect(bad.alarms).toEqual(['srm', 'leaks', 'goal-traffic']);
    expect(bad.diagnostics.srm.expected).toEqual({ control: 900, variant: 900 });
    expect(bad.diagnostics.srm.pValue).toBeLessThan(0.001);
    const few = analyze(
      spec,
      sums({
        arms: [
          { arm: 'control', weights: '50,50', units: 60 },
          { arm: 'variant', weights: '50,50', units: 20 },
        ],
        exposureSets: [
          {
            exposures: [
              ['control', '50,50'],
              ['variant', '50,50'],
            ],
            units: 10,
          },
        ],
        goalRequests: { total: 50, withoutKey: 50, unexposed: 0 },
      }),
      { now: T0 + 2 * H },
    );
    expect(few.alarms).toEqual([]);
  });

  it('SRM uses the weights at each unit’s first exposure: 900/100 then 500/500 is no mismatch', () => {
    const r = analyze(
      spec,
      sums({
        arms: [
          { arm: 'control', weights: '50,50', units: 500 },
          { arm: 'control', weights: '90,10', units: 900 },
          { arm: 'variant', weights: '50,50', units: 500 },
          { arm: 'variant', weights: '90,10', units: 100 },
        ],
      }),
      { now: T0 + 2 * H },
    );
    expect(r.diagnostics.srm).toMatchObject({ alarm: false, pValue: 1, observed: { control: 1400, variant: 600 } });
    expect(r.diagnostics.srm.expected).toEqual({ control: 1400, variant: 600 });
  });
});
