// Thompson sampling's weights: P(best) from seeded posterior draws, the floor, a closed arm at 0,
// the lane cap of the nested ranges, and equal shares for equal evidence.
import { describe, expect, it } from 'vitest';
import { allocate, thompsonWeights } from '../../../src/experiments/thompson.js';
import { mulberry32 } from '../../../src/stats/random.js';

const arm = (name: string, units: number, conversions: number, open = true) => ({ arm: name, units, conversions, open });

describe('thompsonWeights', () => {
  it('puts most new units on the clearly better arm, keeps the floor on the worse, and is deterministic for a seed', () => {
    const evidence = [arm('control', 500, 50), arm('v2', 500, 100)];
    const a = thompsonWeights(evidence, { draws: 2000, floor: 5, rnd: mulberry32(1) });
    expect(a.map((x) => [x.arm, x.alpha, x.beta])).toEqual([
      ['control', 51, 451],
      ['v2', 101, 401],
    ]);
    expect(a[1]!.pBest).toBeGreaterThan(0.999);
    expect(a.map((x) => x.percent)).toEqual([5, 95]);
    expect(thompsonWeights(evidence, { draws: 2000, floor: 5, rnd: mulberry32(1) })).toEqual(a);
  });

  it('splits about evenly when the evidence is the same', () => {
    const a = thompsonWeights([arm('control', 100, 10), arm('v2', 100, 10)], { draws: 20_000, floor: 5, rnd: mulberry32(2) });
    expect(Math.abs(a[0]!.pBest - 0.5)).toBeLessThan(0.02);
    expect(a[0]!.percent + a[1]!.percent).toBe(100);
  });

  it('gives a closed (rolled-back) arm nothing, however good it looks', () => {
    const a = thompsonWeights([arm('control', 500, 10), arm('v2', 500, 400, false)], { draws: 1000, floor: 5, rnd: mulberry32(3) });
    expect(a.map((x) => [x.pBest, x.percent])).toEqual([
      [1, 100],
      [0, 0],
    ]);
  });
});

describe('allocate', () => {
  it('keeps the floor for every open arm and gives the rest by share', () => {
    expect(allocate([0, 1], [true, true], 5)).toEqual([5, 95]);
    expect(allocate([0.5, 0.5], [true, true], 5)).toEqual([50, 50]);
  });
  it('lowers the floor when the arms cannot all have it', () => {
    expect(allocate([1, 0, 0], [true, true, true], 40)).toEqual([33.34, 33.33, 33.33]);
  });
  it('caps a variant at its lane (100 / variants) and gives control the excess', () => {
    // Two variants: each lane is 50%; v1 wants 90 - it keeps 50, control gets the other 45.
    expect(allocate([0, 1, 0], [true, true, true], 5)).toEqual([45, 50, 5]);
  });
});
