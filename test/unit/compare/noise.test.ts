import { describe, expect, it } from 'vitest';
import { diffJson, type JsonRules } from '../../../src/compare/json-diff.js';
import { createLru } from '../../../src/compare/lru.js';
import { classifyField, createRepeatNoise, diffLeaves, flattenLeaves, repeatKey, wilson } from '../../../src/compare/noise.js';

const R: JsonRules = { ignoreBody: [], numericTolerance: 0 };

describe('wilson', () => {
  it('matches known intervals and stays in [0, 1]', () => {
    const w = wilson(50, 100);
    expect(w.rate).toBe(0.5);
    expect(w.lower).toBeCloseTo(0.4038, 3);
    expect(w.upper).toBeCloseTo(0.5962, 3);
    expect(wilson(0, 100).lower).toBe(0);
    expect(wilson(0, 100).upper).toBeCloseTo(0.037, 3);
    expect(wilson(100, 100).upper).toBe(1);
    expect(wilson(0, 0)).toEqual({ rate: 0, lower: 0, upper: 1 });
    expect(wilson(7, 5).rate).toBe(1); // clamped
  });
});

describe('classifyField', () => {
  it('calls a field real when its lower bound clears the noise upper bound by minEffect', () => {
    expect(classifyField({ compared: 300, differed: 300, noiseCompared: 270, noiseDiffered: 0 }).verdict).toBe('real');
    expect(classifyField({ compared: 300, differed: 300, noiseCompared: 270, noiseDiffered: 270 }).verdict).toBe('noise');
    expect(classifyField({ compared: 20, differed: 1, noiseCompared: 100, noiseDiffered: 0 }).verdict).toBe('noise'); // one in twenty proves little
  });
  it('catches a regression on an already noisy field that Diffy thresholds hide', () => {
    // Diffy: |300-200|/(300+200) = 20 %, not > 20 % → hidden. Here the intervals don't overlap.
    const v = classifyField({ compared: 1000, differed: 300, noiseCompared: 1000, noiseDiffered: 200 });
    expect(v.verdict).toBe('real');
    expect(v.lower).toBeGreaterThan(v.noiseUpper);
  });
  it('requires a minimum effect size', () => {
    const c = { compared: 1_000_000, differed: 5_000, noiseCompared: 1_000_000, noiseDiffered: 1_000 };
    expect(classifyField(c).verdict).toBe('noise'); // significant, but 0.4 points
    expect(classifyField(c, { minEffect: 0.001 }).verdict).toBe('real');
  });
  it('is unmeasured without enough noise observations', () => {
    const v = classifyField({ compared: 100, differed: 100, noiseCompared: 9, noiseDiffered: 0 });
    expect(v).toMatchObject({ verdict: 'unmeasured', rate: 1, noiseRate: 0 });
    expect(classifyField({ compared: 100, differed: 100, noiseCompared: 0, noiseDiffered: 0 }).noiseUpper).toBe(1);
  });
});

describe('flattenLeaves + diffLeaves', () => {
  /** Repeat noise must name and count fields exactly as diffJson does. */
  const agree = (a: unknown, b: unknown, rules: JsonRules = R) => {
    const j = diffJson(a, b, rules);
    const n = diffLeaves(flattenLeaves(a, rules), flattenLeaves(b, rules));
    expect(n.compared.sort()).toEqual(j.compared.map((f) => `body:${f}`).sort());
    expect(n.differed.sort()).toEqual([...new Set(j.fields.map((f) => `body:${f.field}`))].sort());
    return n;
  };
  it('agrees with diffJson on values, types, added and removed subtrees', () => {
    expect(agree({ ts: 1, a: { b: 1 }, c: [1, 2], d: 'x' }, { ts: 2, a: { b: 1 }, c: [1, 2], d: 'x' }).differed).toEqual(['body:$.ts']);
    agree({ gone: { x: { y: 1 } }, t: { a: 1 }, n: null }, { t: [1], n: 0, extra: { z: [1, 2] } });
    agree({ list: [1, 2, 3] }, { list: [1, 2] });
  });
  it('agrees on order: index arrays once, id arrays once plus element fields', () => {
    expect(agree({ tags: ['a', 'b', 'c'] }, { tags: ['c', 'b', 'a'] }).differed).toEqual(['body:$.tags']);
    agree(
      {
        items: [
          { id: 1, q: 1 },
          { id: 2, q: 2 },
        ],
      },
      {
        items: [
          { id: 2, q: 3 },
          { id: 1, q: 1 },
        ],
      },
    );
    agree(
      {
        items: [
          { id: 1, q: 1 },
          { id: 2, q: 2 },
        ],
      },
      {
        items: [
          { id: 1, q: 1 },
          { id: 3, q: 2 },
        ],
      },
    );
    agree({ rows: [{ a: 1 }, { a: 2 }] }, { rows: [{ a: 2 }, { a: 1 }] });
  });
  it('agrees on ignore rules, folded map keys and tolerance', () => {
    const rules = { ignoreBody: ['$.meta', '$.items[*].id'], numericTolerance: 0.01 };
    const n = agree(
      { meta: { ts: 1 }, items: [{ id: 'a', p: 100 }], byUser: { '17': 1 } },
      { meta: { ts: 2 }, items: [{ id: 'b', p: 100.5 }], byUser: { '17': 2 } },
      rules,
    );
    expect(n.differed).toEqual(['body:$.byUser.*']);
  });
  it('bounds entries and compares only shared nodes when capped', () => {
    const big = (v: number) => ({ xs: Array.from({ length: 100 }, (_, i) => ({ i, v })) });
    const a = flattenLeaves(big(1), R, { maxLeaves: 20 });
    expect(a.map.size).toBe(20);
    expect(a.capped).toBe(true);
    const n = diffLeaves(a, flattenLeaves({ xs: [] }, R, { maxLeaves: 20 }));
    expect(n.differed).toEqual([]);
  });
});

describe('createRepeatNoise', () => {
  it('compares with the previous answer for the same request, within maxAge', () => {
    const learner = createRepeatNoise({ maxAgeMs: 1000 });
    const key = repeatKey('get', '/a?x=1');
    expect(key).toBe('GET /a?x=1');
    expect(learner.noiseFromRepeat(key, flattenLeaves({ ts: 1, v: 1 }, R), 0)).toEqual({ compared: [], differed: [] });
    expect(learner.noiseFromRepeat(key, flattenLeaves({ ts: 2, v: 1 }, R), 500)).toEqual({
      compared: ['body:$', 'body:$.ts', 'body:$.v'],
      differed: ['body:$.ts'],
    });
    // Stale: data may have drifted legitimately; not counted.
    expect(learner.noiseFromRepeat(key, flattenLeaves({ ts: 3, v: 2 }, R), 5000).compared).toEqual([]);
    // A late, older observation is not compared and doesn't replace the newer one.
    expect(learner.noiseFromRepeat(key, flattenLeaves({ ts: 9, v: 9 }, R), 100).compared).toEqual([]);
    expect(learner.noiseFromRepeat(key, flattenLeaves({ ts: 4, v: 2 }, R), 5100).differed).toEqual(['body:$.ts']);
  });
  it('observe remembers without comparing, and the store is bounded', () => {
    const learner = createRepeatNoise({ maxEntries: 2 });
    learner.observe('a', flattenLeaves({ v: 1 }, R), 0);
    learner.observe('b', flattenLeaves({ v: 1 }, R), 0);
    learner.observe('c', flattenLeaves({ v: 1 }, R), 0);
    expect(learner.size).toBe(2);
    expect(learner.noiseFromRepeat('a', flattenLeaves({ v: 2 }, R), 1).compared).toEqual([]); // evicted
    expect(learner.noiseFromRepeat('c', flattenLeaves({ v: 2 }, R), 1).differed).toEqual(['body:$.v']);
  });
});

describe('createLru', () => {
  it('evicts the least recently used', () => {
    const c = createLru<string, number>(2);
    c.set('a', 1);
    c.set('b', 2);
    expect(c.get('a')).toBe(1);
    c.set('c', 3);
    expect([c.get('a'), c.get('b'), c.get('c'), c.size]).toEqual([1, undefined, 3, 2]);
    expect(c.delete('a')).toBe(true);
  });
});
