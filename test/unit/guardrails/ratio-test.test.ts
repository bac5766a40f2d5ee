// The ratio test against hand-computed values, and the properties the engine relies on: pooling
// across shares, the bound tightening with evidence, and the set-aside of one contributor.
import { describe, expect, it } from 'vitest';
import { FAIL_ALTERNATIVES, GRID, GRID_NULL, addLL, emptyLL, failLogE, theta, upperBound } from '../../../src/guardrails/ratio-test.js';
import { ONE_OBSERVATION_MAX, setAsideFloor } from '../../../src/guardrails/engine-evidence.js';
import { mulberry32 } from './sim.js';

describe('theta', () => {
  it('is ρ·s / (ρ·s + 1 − s)', () => {
    expect(theta(1.5, 0.01)).toBeCloseTo(0.015 / 1.005, 12);
    expect(theta(1, 0.25)).toBeCloseTo(0.25, 12);
  });
});

describe('fail-fast e-value', () => {
  it('grid: tolerance at GRID_NULL, alternatives 1.19× … 64×', () => {
    expect(GRID[GRID_NULL]).toBe(1);
    expect(GRID[GRID_NULL + FAIL_ALTERNATIVES]).toBeCloseTo(64, 9);
  });

  it('one variant observation at s = 1 %, tolerance 1.5: mean of θk/θ0 = 11.354', () => {
    const ll = emptyLL();
    addLL([ll], 1.5, 0.01, 1, 0);
    expect(Math.exp(failLogE(ll, 1.5, 0, 1))).toBeCloseTo(11.354276782735518, 9);
  });

  it('V, V, C at s = ½, tolerance 1 equals the hand sum', () => {
    const ll = emptyLL();
    addLL([ll], 1, 0.5, 2, 1);
    let expected = 0;
    for (let k = 1; k <= 24; k++) {
      const th = theta(2 ** (k / 4), 0.5);
      expected += ((th / 0.5) ** 2 * ((1 - th) / 0.5)) / 24;
    }
    expect(Math.exp(failLogE(ll, 1, 0, 1))).toBeCloseTo(expected, 12);
  });

  it('shares of 0 and 1 carry no information', () => {
    const ll = emptyLL();
    addLL([ll], 1.5, 0, 0, 10);
    addLL([ll], 1.5, 1, 10, 0);
    expect([...ll].every((x) => x === 0)).toBe(true);
  });

  it('setting aside the observations taken cancels them exactly (at one share)', () => {
    const ll = emptyLL();
    addLL([ll], 1.5, 0.01, 5, 0);
    expect(failLogE(ll, 1.5, 5, 0.01)).toBeCloseTo(0, 9);
  });

  it('one observation can never reach 1/α = 100 at any share (the set-aside floor)', () => {
    expect(ONE_OBSERVATION_MAX).toBeLessThan(17);
    for (const s of [1e-6, 0.001, 0.01, 0.25, 0.9]) {
      const ll = emptyLL();
      addLL([ll], 1.5, s, 1, 0);
      expect(Math.exp(failLogE(ll, 1.5, 0, 1))).toBeLessThanOrEqual(ONE_OBSERVATION_MAX + 1e-9);
    }
    expect(setAsideFloor(0.01)).toBe(2);
    expect(setAsideFloor(0.1)).toBe(1);
  });
});

describe('upper bound', () => {
  it('unbounded without data, tightens towards the true ratio', () => {
    const ll = emptyLL();
    expect(upperBound(ll, 1.5, 0.01)).toBe(Infinity);
    const rnd = mulberry32(3);
    for (let i = 0; i < 4000; i++) {
      const onVariant = rnd() < 0.25;
      addLL([ll], 1.5, 0.25, onVariant ? 1 : 0, onVariant ? 0 : 1);
    }
    const ub = upperBound(ll, 1.5, 0.01);
    expect(ub).toBeLessThan(1.5);
    expect(ub).toBeGreaterThan(1);
  });
});
