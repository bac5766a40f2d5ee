// The Gamma and Beta samplers against their known moments (mean, variance) for shapes below and
// above 1, seeded so the draws (and the test) are the same every run.
import { describe, expect, it } from 'vitest';
import { betaSample, gammaSample } from '../../../src/stats/beta.js';
import { mulberry32 } from '../../../src/stats/random.js';

const N = 200_000;

function moments(draw: () => number): { mean: number; variance: number } {
  let s = 0;
  let s2 = 0;
  for (let i = 0; i < N; i++) {
    const x = draw();
    s += x;
    s2 += x * x;
  }
  const mean = s / N;
  return { mean, variance: s2 / N - mean * mean };
}

describe('gammaSample', () => {
  it.each([0.3, 1, 2.5, 40])('Gamma(%s) has mean and variance equal to its shape', (k) => {
    const rnd = mulberry32(7);
    const m = moments(() => gammaSample(rnd, k));
    // Four standard errors of the mean (sd = √k); the variance within 5%.
    expect(Math.abs(m.mean - k)).toBeLessThan(4 * Math.sqrt(k / N));
    expect(m.variance / k).toBeGreaterThan(0.95);
    expect(m.variance / k).toBeLessThan(1.05);
  });
});

describe('betaSample', () => {
  it.each([
    [1, 1],
    [0.5, 0.5],
    [3, 97],
    [120, 880],
    [2000, 18000],
  ])('Beta(%s, %s) matches mean a/(a+b) and variance ab/((a+b)²(a+b+1))', (a, b) => {
    const rnd = mulberry32(11);
    const m = moments(() => betaSample(rnd, a, b));
    const mean = a / (a + b);
    const variance = (a * b) / ((a + b) ** 2 * (a + b + 1));
    expect(Math.abs(m.mean - mean)).toBeLessThan(4 * Math.sqrt(variance / N));
    expect(m.variance / variance).toBeGreaterThan(0.95);
    expect(m.variance / variance).toBeLessThan(1.05);
  });

  it('stays in [0, 1] and is the same sequence for the same seed', () => {
    const [r1, r2] = [mulberry32(3), mulberry32(3)];
    const xs = Array.from({ length: 1000 }, () => betaSample(r1, 0.2, 0.3));
    expect(xs.every((x) => x >= 0 && x <= 1)).toBe(true);
    expect(Array.from({ length: 1000 }, () => betaSample(r2, 0.2, 0.3))).toEqual(xs);
  });
});
