import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { comparePair } from '../../../src/compare/compare.js';
import { RULES, pair, resp } from './fixtures.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));

describe('comparePair', () => {
  it('compares status, headers and JSON bodies, with the endpoint and latency delta', () => {
    const d = comparePair(
      pair(resp({ name: 'a', n: 1 }, { latencyMs: 10 }), resp({ name: 'b', n: 1 }, { latencyMs: 25 }), '/users/42?x=1'),
      RULES,
    );
    expect(d).toEqual({
      endpoint: 'GET /users/:id',
      fields: [{ field: 'body:$.name', kind: 'value', primary: '"a"', candidate: '"b"' }],
      compared: ['error', 'status', 'header:content-type', 'body:$', 'body:$.name', 'body:$.n'],
      primaryStatus: 200,
      candidateStatus: 200,
      latencyDeltaMs: 15,
    });
  });
  it('reports a status change alone', () => {
    const d = comparePair(pair(resp({ a: 1 }), resp('<h1>oops</h1>', { status: 500, headers: { 'content-type': 'text/html' } })), RULES);
    expect(d.fields).toEqual([{ field: 'status', kind: 'status', primary: '200', candidate: '500' }]);
    expect(d.compared).toEqual(['error', 'status']);
    expect([d.primaryStatus, d.candidateStatus]).toEqual([200, 500]);
  });
  it('reports a failed side as one error field and compares nothing else', () => {
    const failed = resp(Buffer.alloc(0), { status: 0, error: 'FL_UPSTREAM_TIMEOUT', latencyMs: 5000 });
    const d = comparePair(pair(resp({ a: 1 }), failed), RULES);
    expect(d.fields).toEqual([{ field: 'error', kind: 'error', primary: '200', candidate: '"FL_UPSTREAM_TIMEOUT"' }]);
    expect(d.compared).toEqual(['error']);
    expect(d.latencyDeltaMs).toBe(4990);
    // Both failing the same way is not a difference.
    expect(comparePair(pair(failed, failed), RULES).fields).toEqual([]);
    expect(comparePair(pair(resp('x', { status: 0 }), failed), RULES).fields[0]).toMatchObject({ primary: '"FL_NO_RESPONSE"' });
  });
  it('applies rules: ignored headers and body paths, tolerance', () => {
    const a = resp({ meta: { ts: 1 }, total: 100 }, { headers: { 'content-type': 'application/json', 'x-cache': 'HIT' } });
    const b = resp({ meta: { ts: 2 }, total: 100.05 }, { headers: { 'content-type': 'application/json', 'x-cache': 'MISS' } });
    const d = comparePair(pair(a, b), { ...RULES, ignoreHeaders: ['x-cache'], ignoreBody: ['$.meta.ts'], numericTolerance: 0.001 });
    expect(d.fields).toEqual([]);
    expect(d.compared).toEqual(['error', 'status', 'header:content-type', 'body:$', 'body:$.meta', 'body:$.total']);
  });
  it('decodes gzip, br and deflate before comparing', () => {
    const body = { items: [{ id: 1, p: 2 }] };
    const enc = (e: string, buf: Buffer) => resp(buf, { headers: { 'content-type': 'application/json', 'content-encoding': e } });
    const plain = resp(body);
    expect(comparePair(pair(plain, enc('gzip', zlib.gzipSync(json(body)))), RULES).fields).toEqual([
      { field: 'header:content-encoding', kind: 'added', candidate: '"gzip"' },
    ]);
    expect(
      comparePair(
        pair(enc('br', zlib.brotliCompressSync(json(body))), enc('br', zlib.brotliCompressSync(json({ items: [{ id: 1, p: 3 }] })))),
        RULES,
      ).fields,
    ).toEqual([{ field: 'body:$.items[*].p', kind: 'value', primary: '2', candidate: '3' }]);
    expect(
      comparePair(pair(enc('deflate', zlib.deflateSync(json(body))), enc('deflate', zlib.deflateRawSync(json(body)))), RULES).fields,
    ).toEqual([]);
  });
  it('reports JSON against non-JSON as one type diff at body:$', () => {
    const d = comparePair(pair(resp({ a: 1 }), resp('<html>error</html>', { headers: { 'content-type': 'text/html' } })), {
      ...RULES,
      ignoreHeaders: ['content-type'],
    });
    expect(d.fields).toEqual([{ field: 'body:$', kind: 'type', primary: '"json"', candidate: '"text"' }]);
    expect(comparePair(pair(resp({ a: 1 }), resp('', { headers: { 'content-type': 'application/json' } })), RULES).fields).toEqual([
      { field: 'body:$', kind: 'removed', primary: '"json"' },
    ]);
    // Malformed JSON on both sides falls back to a text comparison.
    const bad = (s: string) => resp(s, { headers: { 'content-type': 'application/json' } });
    expect(comparePair(pair(bad('{oops'), bad('{oops!')), RULES).fields.map((f) => `${f.kind} ${f.field}`)).toEqual([
      'length body:text',
      'content body:text',
    ]);
  });
  it('compares text and bytes bodies', () => {
    const t = (s: string) => resp(s, { headers: { 'content-type': 'text/plain' } });
    expect(comparePair(pair(t('a\nb'), t('a\nc')), RULES).fields).toEqual([
      { field: 'body:text', kind: 'content', primary: '"L2: b"', candidate: '"L2: c"' },
    ]);
    const bin = (b: number[]) => resp(Buffer.from(b), { headers: { 'content-type': 'image/png' } });
    const d = comparePair(pair(bin([1, 2]), bin([1, 2, 3])), RULES);
    expect(d.fields.map((f) => `${f.kind} ${f.field}`)).toEqual(['length body:bytes', 'content body:bytes']);
    expect(d.compared).toContain('body:bytes');
    expect(comparePair(pair(resp(''), resp('')), RULES).compared).toEqual(['error', 'status']);
  });
  describe('truncated bodies', () => {
    const big = { items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `n${i}` })) };
    const full = json(big);
    const cut = (buf: Buffer, n: number, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      resp(buf.subarray(0, n), { headers, truncated: true, bodyBytes: buf.length });
    it('skips a truncated JSON body instead of reporting removals', () => {
      const d = comparePair(pair(resp(big), cut(full, 1000)), RULES);
      expect(d.fields).toEqual([]);
      expect(d.skipped).toBe('body-truncated');
      expect(d.compared).toEqual(['error', 'status', 'header:content-type']);
      // Untyped: a JSON prefix is not mistaken for text.
      expect(comparePair(pair(resp(full, { headers: {} }), cut(full, 1000, {})), RULES)).toMatchObject({
        fields: [],
        skipped: 'body-truncated',
      });
    });
    it('skips a truncated gzip JSON body without throwing', () => {
      const gz = zlib.gzipSync(full);
      const h = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
      const d = comparePair(pair(resp(gz, { headers: h }), cut(gz, 200, h)), RULES);
      expect(d).toMatchObject({ fields: [], skipped: 'body-truncated' });
    });
    it('compares the common prefix of text, and lengths from the wire when unencoded', () => {
      const text = Buffer.from('line\n'.repeat(1000));
      const h = { 'content-type': 'text/plain' };
      expect(comparePair(pair(resp(text, { headers: h }), cut(text, 100, h)), RULES).fields).toEqual([]);
      const longer = Buffer.concat([text, Buffer.from('more\n')]);
      expect(comparePair(pair(resp(text, { headers: h }), cut(longer, 100, h)), RULES).fields).toEqual([
        { field: 'body:text', kind: 'length', primary: '5000', candidate: '5005' },
      ]);
      const changed = Buffer.from(`line\nLINE\n${'line\n'.repeat(998)}`);
      expect(comparePair(pair(cut(text, 50, h), cut(changed, 80, h)), RULES).fields).toEqual([
        { field: 'body:text', kind: 'content', primary: '"L2: line"', candidate: '"L2: LINE"' },
      ]);
    });
    it('knows a complete side shorter than the other prefix differs in length', () => {
      const h = { 'content-type': 'text/plain', 'content-encoding': 'gzip' };
      const short = zlib.gzipSync(Buffer.from('abc'));
      const long = zlib.gzipSync(Buffer.from('abcdefgh'.repeat(100)));
      const d = comparePair(
        pair(resp(short, { headers: h }), resp(long.subarray(0, long.length - 4), { headers: h, truncated: true, bodyBytes: long.length })),
        RULES,
      );
      expect(d.fields).toEqual([{ field: 'body:text', kind: 'length', primary: '3', candidate: '">=800"' }]);
    });
  });
  it('handles undecodable bodies', () => {
    const gz = { 'content-type': 'application/json', 'content-encoding': 'gzip' };
    const good = resp(zlib.gzipSync(json({ a: 1 })), { headers: gz });
    const corrupt = resp(Buffer.from('definitely not gzip'), { headers: gz });
    expect(comparePair(pair(good, corrupt), RULES).fields).toEqual([
      { field: 'body:bytes', kind: 'content', primary: '"decoded"', candidate: '"undecodable gzip: corrupt"' },
    ]);
    expect(comparePair(pair(corrupt, corrupt), RULES).fields).toEqual([]);
    const bomb = resp(zlib.gzipSync(Buffer.alloc(5 << 20)), { headers: gz });
    expect(comparePair(pair(bomb, bomb), { ...RULES, maxBody: 1 << 16 })).toMatchObject({ fields: [], skipped: 'decoded-too-large' });
  });
  it('templates with the route template when it has params', () => {
    expect(comparePair(pair(resp({}), resp({}), '/u/alice', '/u/:name'), RULES).endpoint).toBe('GET /u/:name');
  });
});
