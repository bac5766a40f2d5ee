// Who is in a route's split: targeting and layer slices through assignArm. Outside → control, no
// bucket, `excluded` says why; two experiments of one layer never share a unit; shares pack in order.
import { describe, expect, it } from 'vitest';
import { assignArm } from '../../../src/routing/assignment.js';
import { compileAudience, planLayers, sliceBuckets, type LayerSlice } from '../../../src/routing/audience.js';
import { BUCKETS } from '../../../src/routing/hash.js';
import type { CompiledRoute } from '../../../src/routing/route.js';
import { compileSticky } from '../../../src/routing/sticky.js';
import { createWeightCell } from '../../../src/routing/weights.js';

const slice = (from: number, to: number): LayerSlice => {
  const [start, end] = sliceBuckets(from, to);
  return { layer: 'l', start, end, seed: () => 'layer-seed' };
};

function route(name: string, audience: CompiledRoute['audience'], percent = 50): CompiledRoute {
  return {
    name,
    arms: [
      { name: 'control', percent: 100 - percent },
      { name: 'variant', percent },
    ],
    armIndex: new Map([
      ['control', 0],
      ['variant', 1],
    ]),
    weights: createWeightCell([percent]),
    seed: `${name}-seed`,
    sticky: compileSticky(['header:x-user']),
    force: undefined,
    audience,
  } as unknown as CompiledRoute;
}

const input = (user: string, headers: Record<string, string> = {}) => ({
  headers: { 'x-user': user, ...headers },
  query: '',
  clientIp: '10.0.0.1',
});

describe('audience', () => {
  it('costs nothing when a route has neither targeting nor a layer', () => {
    expect(compileAudience(undefined, undefined)).toBeUndefined();
  });

  it('sends requests the targeting rules leave out to control, with no bucket, as excluded', () => {
    const r = route('pro-only', compileAudience({ header: { 'x-plan': { equals: 'pro' } } }, undefined), 100);
    const out = assignArm(r, input('u1'));
    expect([out.armIndex, out.bucket, out.excluded]).toEqual([0, -1, 'targeting']);
    const inside = assignArm(r, input('u1', { 'x-plan': 'pro' }));
    expect([inside.armIndex, inside.excluded]).toEqual([1, undefined]);
  });

  it('keeps two experiments of one layer disjoint over 2,000 keys, each near its share', () => {
    const a = route('a', compileAudience(undefined, slice(0, 30)));
    const b = route('b', compileAudience(undefined, slice(30, 100)));
    let inA = 0;
    let inB = 0;
    for (let i = 0; i < 2000; i++) {
      const x = assignArm(a, input(`user-${i}`));
      const y = assignArm(b, input(`user-${i}`));
      // Exactly one of the two: the slices tile the layer.
      expect((x.excluded === undefined) !== (y.excluded === undefined)).toBe(true);
      if (!x.excluded) inA++;
      if (!y.excluded) inB++;
      if (x.excluded) expect([x.excluded, x.armIndex]).toEqual(['layer', 0]);
    }
    expect(inA + inB).toBe(2000);
    expect(Math.abs(inA - 600)).toBeLessThan(80);
  });

  it('splits the units inside a slice by the route weights (independent of the layer hash)', () => {
    const r = route('a', compileAudience(undefined, slice(0, 40)), 50);
    const arms = [0, 0];
    for (let i = 0; i < 4000; i++) {
      const x = assignArm(r, input(`k${i}`));
      if (!x.excluded) arms[x.armIndex]!++;
    }
    const n = arms[0]! + arms[1]!;
    expect(Math.abs(arms[1]! / n - 0.5)).toBeLessThan(0.05);
  });

  it('packs shares in file order and takes ranges as written', () => {
    const plan = planLayers([
      { name: 'a', layer: { name: 'l', share: 30 } },
      { name: 'x' },
      { name: 'b', layer: { name: 'l', share: 20 } },
      { name: 'c', layer: { name: 'm', range: [50, 75] } },
    ]);
    expect(Object.fromEntries(plan)).toEqual({
      a: { layer: 'l', from: 0, to: 30 },
      b: { layer: 'l', from: 30, to: 50 },
      c: { layer: 'm', from: 50, to: 75 },
    });
    expect(sliceBuckets(0, 100)).toEqual([0, BUCKETS]);
    expect(sliceBuckets(12.5, 50)).toEqual([1250, 5000]);
  });
});
