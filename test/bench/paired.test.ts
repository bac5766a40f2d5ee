// The proxy bench's paired ratios (bench/lib/paired.ts): pass i of a peer is divided by pass i of the
// reference, never by an average over passes, and the median of those is reported with its range.
import { describe, expect, it } from 'vitest';
import type { LoadResult } from '../../bench/lib/load.js';
import { pairedRatios, spread } from '../../bench/lib/paired.js';

const pass = (rps: number, p99: number, proxyUs: number | undefined): LoadResult =>
  ({ rps, p99, cpu: proxyUs === undefined ? undefined : { proxyUs } }) as unknown as LoadResult;

describe('paired ratios', () => {
  it("divides each pass by the reference's same pass, and reports the median and range", () => {
    // A slow machine in pass 2 doubles both sides: its ratio is the same as the others'.
    const undici = { name: 'undici' as const, passes: [pass(100, 5, 40), pass(50, 10, 80), pass(100, 5, 40)] };
    const fieldlab = { name: 'fieldlab' as const, passes: [pass(80, 6, 48), pass(40, 12, 96), pass(90, 5, 44)] };
    const [r] = pairedRatios([undici, fieldlab], 'undici');
    expect(r!.name).toBe('fieldlab');
    expect(r!.passes).toBe(3);
    expect(r!.cpu!.median).toBeCloseTo(1.2);
    expect([r!.cpu!.min, r!.cpu!.max].map((x) => +x.toFixed(3))).toEqual([1.1, 1.2]);
    expect(r!.rps.median).toBeCloseTo(0.8);
    expect(r!.p99.median).toBeCloseTo(1.2);
  });

  it('leaves out failed peers, peers without CPU (direct) get no CPU ratio, no reference gives nothing', () => {
    const undici = { name: 'undici' as const, passes: [pass(100, 5, 40)] };
    const direct = { name: 'direct' as const, passes: [pass(300, 1, undefined)] };
    const failed = { name: 'fieldlab' as const, passes: [pass(1, 1, 1)], failure: 'no' };
    const out = pairedRatios([undici, direct, failed], 'undici');
    expect(out.map((r) => r.name)).toEqual(['direct']);
    expect(out[0]!.cpu).toBeUndefined();
    expect(pairedRatios([direct], 'undici')).toEqual([]);
  });

  it('takes the mean of the middle two for an even count', () => {
    expect(spread([4, 1, 3, 2])).toEqual({ median: 2.5, min: 1, max: 4 });
    expect(spread([])).toEqual({ median: Number.NaN, min: Number.NaN, max: Number.NaN });
  });
});
