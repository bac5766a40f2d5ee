// Per route and shadow pair counts: a pair counts once per part however many of its fields differ,
// equal pairs count as compared only, skips by reason, and a cap on cells folds the rest into other.
import { describe, expect, it } from 'vitest';
import { createPairCounter, partOf } from '../../../src/compare/pair-counts.js';

const diff = (...fields: string[]) => fields.map((field) => ({ field, kind: 'value' as const }));

describe('pair counts', () => {
  it('maps fields to parts', () => {
    expect(['status', 'header:etag', 'body:$.a', 'body:text', 'error'].map(partOf)).toEqual(['status', 'headers', 'body', 'body', 'error']);
  });

  it('counts pairs, differing pairs and each part once per pair', () => {
    const c = createPairCounter();
    c.pair('checkout', 'v2', []);
    c.pair('checkout', 'v2', diff('body:$.a', 'body:$.b', 'header:etag'));
    c.pair('checkout', 'v2', diff('status', 'body:$.a'));
    c.pair('search', 'v2', diff('error'));
    c.skip('checkout', 'v2', 'queue_full');
    c.skip('checkout', 'v2', 'queue_full');
    c.skip('checkout', 'v2', 'body-truncated');
    const [checkout, search] = c.all();
    expect(checkout).toEqual({
      route: 'checkout',
      shadow: 'v2',
      pairs: 3,
      differing: 2,
      parts: { status: 1, headers: 1, body: 2, error: 0 },
      skips: { queue_full: 2, 'body-truncated': 1 },
    });
    expect(search).toMatchObject({ route: 'search', pairs: 1, differing: 1, parts: { error: 1 } });
    expect(c.of('checkout', 'v2')).toBe(checkout);
  });

  it('folds routes and shadows past the cell cap into other/other', () => {
    const c = createPairCounter();
    for (let i = 0; i < 2000; i++) c.skip(`r${i}`, 's', 'method');
    c.skip('late', 's', 'method');
    c.skip('later', 's', 'method');
    const all = c.all();
    expect(all).toHaveLength(2001);
    expect(all.at(-1)).toMatchObject({ route: 'other', shadow: 'other', skips: { method: 2 } });
  });
});
