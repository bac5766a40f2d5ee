import { describe, expect, it } from 'vitest';
import { diffJson, type JsonRules } from '../../../src/compare/json-diff.js';

const R: JsonRules = { ignoreBody: [], numericTolerance: 0 };
const diff = (a: unknown, b: unknown, rules: Partial<JsonRules> = {}) => diffJson(a, b, { ...R, ...rules });
const kinds = (a: unknown, b: unknown, rules: Partial<JsonRules> = {}) => diff(a, b, rules).fields.map((f) => `${f.kind} ${f.field}`);

describe('diffJson', () => {
  it('reports nothing for equal values, whatever the key order', () => {
    const d = diff({ a: 1, b: { c: [1, 2] } }, { b: { c: [1, 2] }, a: 1 });
    expect(d.fields).toEqual([]);
    expect(d.compared).toEqual(['$', '$.a', '$.b', '$.b.c', '$.b.c[*]']);
  });
  it('reports added, removed, type and value with renderings', () => {
    const d = diff({ keep: 1, gone: { x: 1 }, n: 1, s: 'a', o: {} }, { keep: 1, extra: [1], n: '1', s: 'b', o: [] });
    expect(d.fields).toEqual([
      { field: '$.gone', kind: 'removed', primary: '{"x":1}' },
      { field: '$.n', kind: 'type', primary: '1', candidate: '"1"' },
      { field: '$.s', kind: 'value', primary: '"a"', candidate: '"b"' },
      { field: '$.o', kind: 'type', primary: '{}', candidate: '[]' },
      { field: '$.extra', kind: 'added', candidate: '[1]' },
    ]);
    // An added or removed subtree counts at its top only.
    expect(d.compared).toEqual(['$', '$.keep', '$.gone', '$.n', '$.s', '$.o', '$.extra']);
  });
  it('treats null as its own type', () => {
    expect(kinds({ a: null, b: null }, { a: 0, b: null })).toEqual(['type $.a']);
  });
  it('applies the relative numeric tolerance', () => {
    expect(kinds({ p: 1000 }, { p: 1000.9 }, { numericTolerance: 0.001 })).toEqual([]);
    expect(kinds({ p: 1000 }, { p: 1002 }, { numericTolerance: 0.001 })).toEqual(['value $.p']);
    expect(kinds({ p: 0 }, { p: 1e-12 }, { numericTolerance: 0.001 })).toEqual(['value $.p']);
    expect(kinds({ p: 1 }, { p: 1.0000001 })).toEqual(['value $.p']);
  });
  it('folds indices and renders odd keys in brackets', () => {
    const d = diff(
      { cart: { items: [{ price: 1 }, { price: 2 }] }, 'a.b': 1, "it's": 1 },
      { cart: { items: [{ price: 1 }, { price: 3 }] }, 'a.b': 2, "it's": 2 },
    );
    expect(d.fields.map((f) => f.field)).toEqual(['$.cart.items[*].price', "$['a.b']", "$['it\\'s']"]);
  });
  it('folds id-like object keys so maps keyed by id are one field', () => {
    const d = diff({ users: { '123': { n: 1 }, '456': { n: 1 } } }, { users: { '123': { n: 2 }, '456': { n: 1 }, '789': { n: 1 } } });
    expect(d.fields.map((f) => `${f.kind} ${f.field}`)).toEqual(['value $.users.*.n', 'added $.users.*']);
  });
  it('reports a field once per pair, with the first example', () => {
    const a = { items: Array.from({ length: 50 }, (_, i) => ({ price: i })) };
    const b = { items: Array.from({ length: 50 }, (_, i) => ({ price: i + 1 })) };
    expect(diff(a, b).fields).toEqual([{ field: '$.items[*].price', kind: 'value', primary: '0', candidate: '1' }]);
  });
  it('aligns arrays of records by id: a reorder plus one change is an order diff and that field only', () => {
    const a = {
      items: [
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 2 },
        { sku: 'c', qty: 3 },
      ],
    };
    const b = {
      items: [
        { sku: 'c', qty: 3 },
        { sku: 'a', qty: 1 },
        { sku: 'b', qty: 5 },
      ],
    };
    expect(diff(a, b).fields).toEqual([
      { field: '$.items', kind: 'order', primary: '["a","b","c"]', candidate: '["c","a","b"]' },
      { field: '$.items[*].qty', kind: 'value', primary: '2', candidate: '5' },
    ]);
  });
  it('aligns by id across insertions: no value diff on every later index', () => {
    const a = {
      users: [
        { userId: 1, n: 'x' },
        { userId: 2, n: 'y' },
      ],
    };
    const b = {
      users: [
        { userId: 0, n: 'new' },
        { userId: 1, n: 'x' },
        { userId: 2, n: 'y' },
      ],
    };
    expect(kinds(a, b)).toEqual(['added $.users[*]']);
    expect(kinds(b, a)).toEqual(['removed $.users[*]']);
  });
  it('needs the id on every element of both sides and unique, else aligns by index', () => {
    const a = [
      { id: 1, v: 1 },
      { id: 1, v: 2 },
    ];
    const b = [
      { id: 1, v: 1 },
      { id: 1, v: 3 },
    ];
    expect(kinds(a, b)).toEqual(['value $[*].v']);
    // `id` is not unique but `key` is: the first qualifying key wins.
    expect(
      kinds(
        [
          { id: 1, key: 'a', v: 1 },
          { id: 1, key: 'b', v: 2 },
        ],
        [
          { id: 1, key: 'b', v: 2 },
          { id: 1, key: 'a', v: 1 },
        ],
      ),
    ).toEqual(['order $']);
  });
  it('reports a pure reordering of an index-aligned array as one order diff', () => {
    const d = diff(
      {
        tags: ['a', 'b', 'c'],
        rows: [
          [1, 2],
          [3, 4],
        ],
      },
      {
        tags: ['c', 'a', 'b'],
        rows: [
          [3, 4],
          [1, 2],
        ],
      },
    );
    expect(d.fields).toEqual([
      { field: '$.tags', kind: 'order', primary: '["a","b","c"]', candidate: '["c","a","b"]' },
      { field: '$.rows', kind: 'order', primary: '[[1,2],[3,4]]', candidate: '[[3,4],[1,2]]' },
    ]);
    expect(d.compared).toEqual(['$', '$.tags', '$.tags[*]', '$.rows', '$.rows[*]', '$.rows[*][*]']);
    // Records without ids: same multiset in another order (key order inside records irrelevant).
    expect(kinds([{ a: 1, b: 2 }, { a: 3 }], [{ a: 3 }, { b: 2, a: 1 }])).toEqual(['order $']);
    // Not the same multiset: compared by index.
    expect(kinds(['a', 'b'], ['b', 'c'])).toEqual(['value $[*]']);
  });
  it('reports length changes of index-aligned arrays at the element path', () => {
    expect(diff([1, 2, 3], [1, 2]).fields).toEqual([{ field: '$[*]', kind: 'removed', primary: '3' }]);
    expect(kinds([1], [1, 2])).toEqual(['added $[*]']);
  });
  it('ignores paths and everything under them, with * for any key or index', () => {
    const a = { meta: { ts: 1, v: 1 }, items: [{ id: 'x1', updatedAt: 1, p: 1 }], user: { updatedAt: 1 }, drop: { deep: { x: 1 } } };
    const b = { meta: { ts: 2, v: 1 }, items: [{ id: 'x2', updatedAt: 2, p: 1 }], user: { updatedAt: 2 }, drop: { deep: { x: 2 } } };
    const d = diff(a, b, { ignoreBody: ['$.meta.ts', '$.items[*].id', '$.*.updatedAt', '$.items.*.updatedAt', 'body:$.drop'] });
    expect(d.fields).toEqual([]);
    expect(d.compared).toEqual(['$', '$.meta', '$.meta.v', '$.items', '$.items[*]', '$.items[*].p', '$.user']);
  });
  it('ignores keys with odd characters and whole bodies', () => {
    expect(kinds({ 'a.b': 1, c: 1 }, { 'a.b': 2, c: 1 }, { ignoreBody: ["$['a.b']"] })).toEqual([]);
    expect(diff({ a: 1 }, { a: 2 }, { ignoreBody: ['$'] })).toEqual({ fields: [], compared: [], capped: false });
  });
  it('ignored fields do not break order detection', () => {
    const a = [
      { n: 1, ts: 5 },
      { n: 2, ts: 6 },
    ];
    const b = [
      { n: 2, ts: 9 },
      { n: 1, ts: 8 },
    ];
    expect(kinds(a, b, { ignoreBody: ['$[*].ts'] })).toEqual(['order $']);
  });
  it('caps depth, diffs and paths, and says so', () => {
    let deepA: unknown = 1;
    let deepB: unknown = 2;
    for (let i = 0; i < 100; i++) {
      deepA = { x: deepA };
      deepB = { x: deepB };
    }
    const d = diffJson(deepA, deepB, R, { maxDepth: 10 });
    expect(d.capped).toBe(true);
    expect(d.fields).toHaveLength(1);
    expect(d.fields[0]!.field).toBe(`$${'.x'.repeat(10)}`);
    expect(d.fields[0]!.primary!.length).toBeLessThanOrEqual(201);

    const wide = (v: number) => Object.fromEntries(Array.from({ length: 500 }, (_, i) => [`k${i}`, v]));
    const w = diffJson(wide(1), wide(2), R, { maxDiffs: 20, maxPaths: 100 });
    expect(w.capped).toBe(true);
    expect(w.fields.length).toBeLessThanOrEqual(20);
    expect(w.compared).toHaveLength(100);
  });
  it('survives absurd nesting without throwing', () => {
    const text = '['.repeat(20000) + ']'.repeat(20000);
    expect(() => diffJson(JSON.parse(text), JSON.parse(text.replace('[]', '[1]')), R)).not.toThrow();
  });
});

describe("diffJson of one parsed value on both sides (a shadow that shares the primary's parse)", () => {
  const bodies: unknown[] = [
    {
      items: [
        { id: 1, p: 2 },
        { id: 2, p: 3 },
      ],
      n: 1,
    },
    {
      rows: [
        [1, 2],
        [2, 1],
      ],
      tags: ['b', 'a', 'b'],
    },
    { users: { '12345': { name: 'x', roles: [{ sku: 'a' }, { sku: 'b' }] } }, 'a.b': [null, true, 'z'] },
  ];
  it.each(bodies)('walks the same paths as two separate parses of it, and finds nothing: %j', (body) => {
    const rules = { ignoreBody: ['$.items[*].p'], numericTolerance: 0 };
    const same = diffJson(body, body, rules);
    expect(same).toEqual(diffJson(body, structuredClone(body), rules));
    expect(same.fields).toEqual([]);
  });
});
