import { describe, expect, it } from 'vitest';
import { fieldValues, highlightBody } from '../../../src/admin/diffs-page-json.js';

const pretty = (v: unknown) => JSON.stringify(v, null, 2);
const marks = (html: string) => [...html.matchAll(/<mark class="([^"]+)" data-path="([^"]+)">/g)].map((m) => `${m[1]} ${m[2]}`);

describe('highlightBody', () => {
  it('marks fields by their folded path: id-like keys as .*, indices as [*]', () => {
    const a = { users: { '12345': { name: 'a' }, '67890': { name: 'b' } } };
    const b = { users: { '12345': { name: 'a' }, '67890': { name: 'B' } } };
    expect(marks(highlightBody(pretty(a), pretty(b), ['body:$.users.*.name']))).toEqual([
      'hl-soft body:$.users.*.name',
      'hl body:$.users.*.name',
    ]);
  });

  it('marks a field only the shadow has on the shadow side, and the whole body when $ differs', () => {
    expect(marks(highlightBody(pretty({ a: 1, extra: true }), pretty({ a: 1 }), ['body:$.extra']))).toEqual(['hl body:$.extra']);
    expect(marks(highlightBody(pretty({ a: 1 }), pretty({ a: 1, extra: true }), ['body:$.extra']))).toEqual([]);
    expect(marks(highlightBody(pretty([1]), pretty({ a: 1 }), ['body:$']))).toEqual(['hl body:$']);
  });

  it('ignores key order when deciding whether a marked node differs', () => {
    const html = highlightBody(pretty({ o: { x: 1, y: 2 }, z: 1 }), pretty({ o: { y: 2, x: 1 }, z: 2 }), ['body:$.o', 'body:$.z']);
    expect(marks(html)).toEqual(['hl-soft body:$.o', 'hl body:$.z']);
  });

  it('escapes keys and strings, and marks differing lines of text bodies', () => {
    expect(highlightBody(pretty({ '<k>': '<v>' }), '{}', [])).toContain(
      '&quot;&lt;k&gt;&quot;</span>: <span class="j-s">&quot;&lt;v&gt;&quot;',
    );
    const html = highlightBody('same\n<b>old</b>\nend', 'same\nnew\nend', ['body:text']);
    expect(html).toBe('same\n<mark class="hl" data-line="2">&lt;b&gt;old&lt;/b&gt;</mark>\nend');
  });
});

describe('fieldValues', () => {
  const ex = (p: unknown, c: unknown) => ({ primaryBody: pretty(p), candidateBody: pretty(c), primaryStatus: 200, candidateStatus: 503 });

  it('finds the first place a folded field differs', () => {
    expect(fieldValues(ex({ items: [{ p: 1 }, { p: 2 }] }, { items: [{ p: 1 }, { p: 3 }] }), 'body:$.items[*].p')).toEqual({
      primary: '2',
      candidate: '3',
    });
    expect(fieldValues(ex({ a: 1 }, { a: 1, b: { c: 'x' } }), 'body:$.b')).toEqual({ primary: '(absent)', candidate: '{"c":"x"}' });
    expect(fieldValues(ex({ a: 1 }, { a: 1 }), 'status')).toEqual({ primary: '200', candidate: '503' });
    expect(fieldValues(ex({ a: 1 }, { a: 1 }), 'header:etag')).toBeUndefined();
  });

  it('shows the first differing line of text bodies', () => {
    expect(fieldValues({ primaryBody: 'a\nb', candidateBody: 'a\nc', primaryStatus: 200, candidateStatus: 200 }, 'body:text')).toEqual({
      primary: '"b"',
      candidate: '"c"',
    });
  });
});
