import { describe, expect, it } from 'vitest';
import { compileIgnore, keyPath, parseJsonPath } from '../../../src/compare/json-path.js';
import { clip, renderJson } from '../../../src/compare/render.js';

describe('json paths', () => {
  it('parses dotted, bracketed, quoted and wildcard segments', () => {
    expect(parseJsonPath('$.items[*].id')).toEqual([{ key: 'items' }, { any: true }, { key: 'id' }]);
    expect(parseJsonPath("body:$['a.b'][2].*")).toEqual([{ key: 'a.b' }, { index: 2 }, { any: true }]);
    expect(parseJsonPath('$["it\\"s"]')).toEqual([{ key: 'it"s' }]);
    expect(parseJsonPath('$')).toEqual([]);
    for (const bad of ['a.b', '$.', '$[x]', '$[1', "$['a"]) expect(parseJsonPath(bad), bad).toBeUndefined();
  });
  it('renders keys', () => {
    expect([keyPath('$', 'ok_1'), keyPath('$', 'content-type'), keyPath('$', '2024-01-31'), keyPath('$', '')]).toEqual([
      '$.ok_1',
      "$['content-type']",
      '$.*',
      "$['']",
    ]);
  });
  it('matches ignore rules key by key and skips malformed ones', () => {
    const m = compileIgnore(['$.a.*.c', 'nonsense']);
    const a = m.step(m.root!, 'a')!;
    expect(m.step(m.step(a, 7)!, 'c')).toBeUndefined();
    expect(m.step(m.step(a, 'x')!, 'd')).toEqual([]);
    expect(m.step(m.root!, 'b')).toEqual([]);
    expect(compileIgnore([]).root).toEqual([]);
  });
});

describe('render', () => {
  it('renders bounded JSON', () => {
    expect(renderJson({ a: [1, 'x', null, true] })).toBe('{"a":[1,"x",null,true]}');
    expect(renderJson(undefined)).toBe('"undefined"');
    const big = renderJson({ xs: Array.from({ length: 10_000 }, (_, i) => i) }, 50);
    expect(big).toHaveLength(51);
    expect(big.endsWith('…')).toBe(true);
    expect(renderJson('x'.repeat(500), 10)).toBe('"xxxxxxxxx…');
    expect(clip('abcdef', 3)).toBe('abc…');
    expect(clip('abc', 3)).toBe('abc');
  });
});
