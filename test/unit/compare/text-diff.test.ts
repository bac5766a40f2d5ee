import { describe, expect, it } from 'vitest';
import { diffBytes } from '../../../src/compare/bytes-diff.js';
import { diffText } from '../../../src/compare/text-diff.js';

const b = (s: string) => Buffer.from(s);

describe('diffText', () => {
  it('reports nothing for equal text', () => {
    expect(diffText(b('a\nb'), b('a\nb'), [3, 3])).toEqual([]);
  });
  it('reports the first differing line, numbered, on both sides', () => {
    expect(diffText(b('<html>\n<h1>Hi</h1>\r\n<p>x</p>\n'), b('<html>\n<h1>Hello</h1>\r\n<p>x</p>\n'), [27, 30])).toEqual([
      { field: 'body:text', kind: 'length', primary: '27', candidate: '30' },
      { field: 'body:text', kind: 'content', primary: '"L2: <h1>Hi</h1>"', candidate: '"L2: <h1>Hello</h1>"' },
    ]);
  });
  it('handles a difference in the first byte, a prefix, and long lines', () => {
    expect(diffText(b('x'), b('y'))[0]).toMatchObject({ kind: 'content', primary: '"L1: x"', candidate: '"L1: y"' });
    expect(diffText(b('a\n'), b('a\nb'))).toEqual([{ field: 'body:text', kind: 'content', primary: '"L2: "', candidate: '"L2: b"' }]);
    const long = diffText(b('z'.repeat(1000)), b(`${'z'.repeat(999)}y`))[0]!;
    expect(long.primary!.length).toBeLessThan(200);
  });
  it('skips the length check when lengths are unknown', () => {
    expect(diffText(b('abc'), b('abd'))).toHaveLength(1);
  });
});

describe('diffBytes', () => {
  it('compares length and digest', () => {
    expect(diffBytes(Buffer.from([1, 2]), Buffer.from([1, 2]), [2, 2])).toEqual([]);
    const d = diffBytes(Buffer.from([1, 2]), Buffer.from([1, 2, 3]), [2, 3]);
    expect(d.map((f) => f.kind)).toEqual(['length', 'content']);
    expect(d[1]!.primary).toMatch(/^"sha256:[0-9a-f]{16}"$/);
    expect(d[1]!.primary).not.toBe(d[1]!.candidate);
  });
});
