import { describe, expect, it } from 'vitest';
import { armBuckets, armForBucket, buildRanges } from '../../../src/routing/assign.js';
import { BUCKETS, bucketOf } from '../../../src/routing/hash.js';

describe('bucketOf', () => {
  it('is the documented sha256 formula and stable forever', () => {
    // Pinned values: changing the hash would silently reshuffle every running experiment.
    expect(bucketOf('checkout-2026-11', 'user-42')).toBe(bucketOf('checkout-2026-11', 'user-42'));
    expect([bucketOf('s', 'a'), bucketOf('s', 'b'), bucketOf('t', 'a')]).toEqual([PINNED.sa, PINNED.sb, PINNED.ta]);
  });
  it('spreads keys evenly over the bucket space', () => {
    const tenths = new Array(10).fill(0);
    for (let i = 0; i < 50_000; i++) tenths[Math.floor(bucketOf('seed', `k${i}`) / (BUCKETS / 10))]++;
    for (const n of tenths) expect(Math.abs(n - 5000)).toBeLessThan(300);
  });
});

describe('nested ranges', () => {
  it('gives one variant the first weight buckets and control the rest', () => {
    const r = buildRanges([10]);
    expect([armForBucket(r, 0), armForBucket(r, 999), armForBucket(r, 1000), armForBucket(r, 9999)]).toEqual([1, 1, 0, 0]);
  });
  it('only ever moves control buckets when any variant ramps up', () => {
    const before = buildRanges([5, 10, 0]);
    const after = buildRanges([5, 30, 20]);
    for (let b = 0; b < BUCKETS; b++) {
      const [x, y] = [armForBucket(before, b), armForBucket(after, b)];
      if (x !== y) expect(x).toBe(0);
    }
  });
  it('sends everyone to control at 0% and to the variant at 100%', () => {
    expect(armForBucket(buildRanges([0]), 0)).toBe(0);
    const all = buildRanges([100]);
    expect(armForBucket(all, 0)).toBe(1);
    expect(armForBucket(all, 9999)).toBe(1);
  });
  it('lays variants in equal lanes', () => {
    const r = buildRanges([50, 50]);
    expect([...r.starts, ...r.ends]).toEqual([0, 5000, 5000, 10000]);
  });
});

// Computed independently with `printf 's\na' | sha256sum` etc. (first 8 hex digits, mod 10000).
const PINNED = { sa: 2550, sb: 4173, ta: 4880 };

describe('armBuckets', () => {
  it("lists control's ranges as the gaps between the variants' ranges, and agrees with armForBucket", () => {
    const r = buildRanges([33.3, 10]);
    expect([armBuckets(r, 0), armBuckets(r, 1), armBuckets(r, 2)]).toEqual([
      [
        [3330, 5000],
        [6000, 10000],
      ],
      [[0, 3330]],
      [[5000, 6000]],
    ]);
    for (const arm of [0, 1, 2]) for (const [s, e] of armBuckets(r, arm)) for (const b of [s, e - 1]) expect(armForBucket(r, b)).toBe(arm);
  });
  it('gives a variant at 0% no range and control everything', () => {
    const r = buildRanges([0]);
    expect([armBuckets(r, 0), armBuckets(r, 1)]).toEqual([[[0, 10000]], []]);
    expect(armBuckets(buildRanges([100]), 0)).toEqual([]);
  });
});
