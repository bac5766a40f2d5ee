// The sequential test against hand-computed values, and the properties the engine relies on:
// pooling across shares, a bound that tightens with evidence, rebase, and JSON round trips.
import { describe, expect, it } from 'vitest';
import { FAIL_ALTERNATIVES, GRID, GRID_NULL, createSequential, rateBelowLogE, theta } from '../../../src/guardrails/sequential.js';
import { mulberry32 } from './sim.js';

describe('theta', () => {
  it('is ρ·s / (ρ·s + 1 − s)', () => {
    expect(theta(1.5, 0.01)).toBeCloseTo(0.015 / 1.005, 12);
    expect(theta(1, 0.25)).toBeCloseTo(0.25, 12);
    expect(theta(3, 0.5)).toBeCloseTo(0.75, 12);
  });
});

describe('createSequential', () => {
  it('grid: tolerance at GRID_NULL, alternatives 1.19× … 64×', () => {
    expect(GRID[GRID_NULL]).toBe(1);
    expect(GRID[GRID_NULL + 1]).toBeCloseTo(2 ** 0.25, 12);
    expect(GRID[GRID_NULL + FAIL_ALTERNATIVES]).toBeCloseTo(64, 9);
  });

  it('one variant event at s = 1 %, tolerance 1.5: mixture of θk/θ0 = 11.354', () => {
    const seq = createSequential(1.5);
    seq.add(0.01, 1, 0);
    expect(Math.exp(seq.failLogE())).toBeCloseTo(11.354276782735518, 9);
  });

  it('events V, V, C at s = ½, tolerance 1: Σ_k (1/24)·(θk/θ0)²·(1−θk)/(1−θ0) = 0.67326', () => {
    const seq = createSequential(1);
    seq.add(0.5, 1, 0);
    seq.add(0.5, 1, 0);
    seq.add(0.5, 0, 1);
    let expected = 0;
    for (let k = 1; k <= 24; k++) {
      const th = theta(2 ** (k / 4), 0.5);
      expected += ((th / 0.5) ** 2 * ((1 - th) / 0.5)) / 24;
    }
    expect(expected).toBeCloseTo(0.6732642990167054, 12);
    expect(Math.exp(seq.failLogE())).toBeCloseTo(expected, 12);
  });

  it('order and batching do not matter; shares pool', () => {
    const a = createSequential(1.5);
    a.add(0.01, 2, 5);
    a.add(0.25, 1, 3);
    const b = createSequential(1.5);
    for (const [s, v, c] of [
      [0.25, 0, 1],
      [0.01, 1, 0],
      [0.01, 0, 5],
      [0.25, 1, 2],
      [0.01, 1, 0],
    ] as const)
      b.add(s, v, c);
    expect(b.failLogE()).toBeCloseTo(a.failLogE(), 10);
    expect(b.passLogE()).toBeCloseTo(a.passLogE(), 10);
  });

  it('ignores shares of 0 and 1 (no information)', () => {
    const seq = createSequential(1.5);
    seq.add(0, 0, 10);
    seq.add(1, 10, 0);
    expect(seq.version).toBe(0);
    expect(seq.upperBound(0.01)).toBe(Infinity);
  });

  it('upper bound: unbounded without data, tightens towards the true ratio', () => {
    const seq = createSequential(1.5);
    expect(seq.upperBound(0.01)).toBe(Infinity);
    const rnd = mulberry32(3);
    // ρ = 1 at s = 25 %: each bad event is on the variant with probability ¼.
    for (let i = 0; i < 4000; i++) {
      const onVariant = rnd() < 0.25;
      seq.add(0.25, onVariant ? 1 : 0, onVariant ? 0 : 1);
    }
    const ub = seq.upperBound(0.01);
    expect(ub).toBeLessThan(1.5);
    expect(ub).toBeGreaterThan(1);
    expect(seq.passLogE()).toBeGreaterThanOrEqual(Math.log(100));
  });

  it('rebase restarts fail fast but keeps the bound', () => {
    const seq = createSequential(1.5);
    for (let i = 0; i < 5; i++) seq.add(0.01, 1, 0);
    expect(seq.failLogE()).toBeGreaterThan(Math.log(100));
    const before = seq.upperBound(0.01);
    seq.rebase();
    expect(seq.failLogE()).toBeCloseTo(0, 12);
    expect(seq.upperBound(0.01)).toBe(before);
  });

  it('round-trips through JSON', () => {
    const seq = createSequential(1.5);
    seq.add(0.05, 3, 40);
    seq.rebase();
    seq.add(0.05, 1, 2);
    const copy = createSequential(1.5, JSON.parse(JSON.stringify(seq.snapshot())));
    expect(copy.failLogE()).toBe(seq.failLogE());
    expect(copy.passLogE()).toBe(seq.passLogE());
    expect(copy.snapshot()).toEqual(seq.snapshot());
  });

  it('false alarms ≤ α at the boundary of the null (ρ = tolerance), looking after every event', () => {
    const rnd = mulberry32(11);
    let alarms = 0;
    const runs = 300;
    for (let r = 0; r < runs; r++) {
      const seq = createSequential(1.5);
      const th0 = theta(1.5, 0.05);
      for (let i = 0; i < 2000; i++) {
        const onVariant = rnd() < th0;
        seq.add(0.05, onVariant ? 1 : 0, onVariant ? 0 : 1);
        if (seq.failLogE() >= Math.log(100)) {
          alarms++;
          break;
        }
      }
    }
    expect(alarms / runs).toBeLessThanOrEqual(0.02);
  });
});

describe('rateBelowLogE', () => {
  it('10 000 clean requests prove p < 0.1 %; 1 000 do not', () => {
    expect(rateBelowLogE(0.001, 10_000, 0)).toBeGreaterThanOrEqual(Math.log(100));
    expect(rateBelowLogE(0.001, 1_000, 0)).toBeLessThan(Math.log(100));
  });

  it('a rate above the budget is never proven below it', () => {
    expect(rateBelowLogE(0.01, 100_000, 2_000)).toBeLessThan(0);
  });
});
