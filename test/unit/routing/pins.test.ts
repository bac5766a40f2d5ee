// Bandit pins: a known unit keeps its first arm while the weights move, a unit of a rolled-back arm
// goes to control, the map forgets its oldest unit beyond its size, and no pins means no change.
import { describe, expect, it } from 'vitest';
import { assignArm } from '../../../src/routing/assignment.js';
import { createUnitPins } from '../../../src/routing/pins.js';
import type { CompiledRoute } from '../../../src/routing/route.js';
import { createWeightCell } from '../../../src/routing/weights.js';

const input = (key: string) => ({ headers: { 'x-user': key }, query: '', clientIp: '10.0.0.1' });

function route(percent: number): CompiledRoute {
  return {
    name: 'r',
    seed: 'r',
    weights: createWeightCell([percent]),
    sticky: (i: { headers: Record<string, string | string[] | undefined> }) => ({
      key: String(i.headers['x-user']),
      issueCookie: undefined,
    }),
    armIndex: new Map([
      ['control', 0],
      ['v2', 1],
    ]),
  } as unknown as CompiledRoute;
}

describe('createUnitPins', () => {
  it('remembers the first arm only and forgets the oldest unit beyond its size', () => {
    const pins = createUnitPins(2);
    pins.pin('a', 1);
    pins.pin('a', 0);
    pins.pin('b', 0);
    pins.pin('c', 1);
    expect([pins.get('a'), pins.get('b'), pins.get('c'), pins.size, pins.evicted]).toEqual([undefined, 0, 1, 2, 1]);
  });
});

describe('assignArm with pins', () => {
  const keys = Array.from({ length: 2000 }, (_, i) => `u${i}`);

  it('keeps every known unit on its first arm while the variant goes 50% → 95% → 5%', () => {
    const r = route(50);
    r.weights.pins = createUnitPins(10_000);
    const first = keys.map((k) => assignArm(r, input(k)).armIndex);
    for (const pct of [95, 5]) {
      r.weights.set([pct]);
      expect(keys.map((k) => assignArm(r, input(k)).armIndex)).toEqual(first);
    }
    // New units follow the new weights (5%): most of them get control.
    const fresh = Array.from({ length: 2000 }, (_, i) => assignArm(r, input(`new${i}`)).armIndex);
    expect(fresh.filter((a) => a === 1).length).toBeLessThan(200);
  });

  it('without pins units follow the moving ranges (what the pins prevent)', () => {
    const r = route(50);
    const first = keys.map((k) => assignArm(r, input(k)).armIndex);
    r.weights.set([5]);
    expect(keys.map((k) => assignArm(r, input(k)).armIndex)).not.toEqual(first);
  });

  it('sends pinned units of a rolled-back arm to control', () => {
    const r = route(50);
    r.weights.pins = createUnitPins(10_000);
    const first = keys.map((k) => assignArm(r, input(k)).armIndex);
    r.weights.set([0], 'runtime', [true]);
    expect(first.some((a) => a === 1)).toBe(true);
    expect(keys.every((k) => assignArm(r, input(k)).armIndex === 0)).toBe(true);
  });
});
