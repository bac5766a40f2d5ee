/**
 * Lift and its standard errors against NumPy on the raw per-unit values (np.var(ddof=1) over the
 * 0/1 or value arrays — an independent route to the same numbers than our sums of squares), with
 * the delta-method relative standard error of Deng, Knoblich & Lu (2018), eq. for a ratio of means.
 */
import { describe, expect, it } from 'vitest';
import { fixedMultiplier } from '../../../src/stats/confidence-sequence.js';
import { interval, lift, moments } from '../../../src/stats/lift.js';

const sums = (xs: readonly number[]) => ({
  units: xs.length,
  sum: xs.reduce((a, b) => a + b, 0),
  sumSq: xs.reduce((a, b) => a + b * b, 0),
});

describe('lift', () => {
  it('conversion 100/1000 vs 130/1000: +0.03 (se 0.0142584), +30% (se 0.162931), 95% z interval [0.00205, 0.05795]', () => {
    const l = lift({ units: 1000, sum: 100, sumSq: 100 }, { units: 1000, sum: 130, sumSq: 130 })!;
    expect(l.absolute).toBeCloseTo(0.03, 14);
    expect(l.absoluteSe).toBeCloseTo(0.014258446735297057, 14);
    expect(l.relative).toBeCloseTo(0.3, 14);
    expect(l.relativeSe).toBeCloseTo(0.16293110981806558, 14);
    const [lo, hi] = interval(l.absolute, l.absoluteSe, fixedMultiplier(0.05))!;
    expect(lo).toBeCloseTo(0.002053957923335053, 12);
    expect(hi).toBeCloseTo(0.05794604207666494, 12);
  });

  it('order values (exponential draws, numpy seed 7): +7.0523 (se 4.09185), +36.52% (se 0.247943)', () => {
    // prettier-ignore
    const c = [
      14.15, 20.5, 11.37, 17.9, 4.13, 67.67, 0.2, 56.18, 11.51, 6.01, 10.82, 6.24, 18.0, 21.47, 37.69, 4.44, 62.89, 14.72, 6.97, 17.67, 1.5,
      1.2, 24.47, 15.46, 43.92, 9.5, 10.43, 23.62, 10.53, 0.44, 5.87, 20.29, 12.69, 27.93, 0.17, 18.08, 5.01, 7.11, 61.5, 28.09, 75.91,
      34.96, 44.86, 2.9, 6.05, 4.78, 22.96, 24.47, 2.54, 7.68,
    ];
    // prettier-ignore
    const v = [
      26.7, 1.72, 2.46, 21.79, 46.85, 67.41, 17.65, 32.65, 19.09, 23.43, 3.62, 62.37, 22.11, 21.88, 0.66, 27.13, 26.55, 26.61, 14.22, 34.09,
      39.34, 16.25, 8.78, 42.5, 16.81, 18.77, 2.79, 6.13, 51.19, 18.2, 0.62, 33.17, 12.29, 73.8, 21.07, 24.41, 10.85, 0.48, 134.59, 11.73,
      51.74, 3.68, 68.54, 0.36, 21.46, 2.29, 4.65, 39.78, 66.24, 16.96, 36.37, 27.07, 11.92, 55.77, 45.96, 8.54, 18.12, 28.71, 28.69, 2.07,
    ];
    expect(moments(sums(c)).variance).toBeCloseTo(357.53146224489797, 9);
    const l = lift(sums(c), sums(v))!;
    expect(l.absolute).toBeCloseTo(7.052333333333333, 10);
    expect(l.absoluteSe).toBeCloseTo(4.0918458124200185, 10);
    expect(l.relative).toBeCloseTo(0.365235555095206, 10);
    expect(l.relativeSe).toBeCloseTo(0.2479427080350443, 10);
  });

  it('is undefined below two units an arm, and relative lift is undefined when control is 0', () => {
    expect(lift({ units: 1, sum: 1, sumSq: 1 }, { units: 5, sum: 1, sumSq: 1 })).toBeUndefined();
    const l = lift({ units: 10, sum: 0, sumSq: 0 }, { units: 10, sum: 2, sumSq: 2 })!;
    expect(l.relative).toBeUndefined();
    expect(interval(l.relative, l.relativeSe, 2)).toBeUndefined();
  });
});
