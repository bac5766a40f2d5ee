import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { compareBody } from '../../../src/compare/body-compare.js';
import { decodedOf, jsonOf } from '../../../src/compare/parsed.js';
import { RULES, resp } from './fixtures.js';

describe('captured bodies are decoded and parsed once', () => {
  afterEach(() => vi.restoreAllMocks());

  it('parses a primary compared with three shadows once, plus once per shadow whose bytes differ', () => {
    const primary = resp({ total: 3, items: [1, 2, 3] });
    const shadows = [resp({ total: 3, items: [1, 2, 3] }), resp({ total: 4, items: [1, 2, 3] }), resp({ total: 3 })];
    const parse = vi.spyOn(JSON, 'parse');
    for (const s of shadows) compareBody(primary, s, RULES);
    // The first shadow's bytes are the primary's: it shares the primary's parse.
    expect(parse).toHaveBeenCalledTimes(3);
    // The pipeline's own reads (repeat noise, examples) find it parsed too.
    expect(jsonOf(primary, RULES.maxBody)?.value).toEqual({ total: 3, items: [1, 2, 3] });
    expect(parse).toHaveBeenCalledTimes(3);
  });

  it('compares a shadow with the very bytes of the primary like one parsed apart: every path compared, nothing differs', () => {
    const body = {
      items: [
        { id: 1, p: 2 },
        { id: 2, p: 3 },
      ],
      tags: ['a', 'b'],
      n: 1.5,
    };
    const parse = vi.spyOn(JSON, 'parse');
    const shared = compareBody(resp(body), resp(body), RULES);
    expect(parse).toHaveBeenCalledTimes(1);
    parse.mockRestore();
    // The same comparison with the candidate parsed on its own (an extra space: other bytes, same JSON).
    const apart = compareBody(
      resp(body),
      resp(Buffer.from(JSON.stringify(body) + ' '), { headers: { 'content-type': 'application/json' } }),
      RULES,
    );
    expect(shared).toEqual(apart);
    expect(shared.compared).toContain('body:$.items[*].p');
    // A candidate typed as text is still compared as a type change, bytes equal or not.
    const text = compareBody(resp(body), resp(body, { headers: { 'content-type': 'text/plain' } }), RULES);
    expect(text.fields).toEqual([{ field: 'body:$', kind: 'type', primary: '"json"', candidate: '"text"' }]);
  });

  it('inflates a gzipped capture once, and again only under another cap', () => {
    const body = gzipSync(Buffer.from(JSON.stringify({ a: 1 })));
    const r = resp(body, { headers: { 'content-type': 'application/json', 'content-encoding': 'gzip' } });
    const first = decodedOf(r, RULES.maxBody);
    expect(first.ok && first.body.toString()).toBe('{"a":1}');
    expect(decodedOf(r, RULES.maxBody)).toBe(first);
    expect(decodedOf(r, 4)).not.toBe(first);
  });

  it('answers undefined for a truncated or non-JSON capture', () => {
    expect(jsonOf(resp({ a: 1 }, { truncated: true }), RULES.maxBody)).toBeUndefined();
    expect(jsonOf(resp('<p>hi</p>', { headers: { 'content-type': 'text/html' } }), RULES.maxBody)).toBeUndefined();
  });
});
