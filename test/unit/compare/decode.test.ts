import zlib from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { codingsOf, decodeBody } from '../../../src/compare/decode.js';

const text = Buffer.from(JSON.stringify({ items: Array.from({ length: 300 }, (_, i) => ({ id: i, name: `item ${i}` })) }));
const max = { maxBody: 1 << 20 };

describe('decodeBody', () => {
  it('passes identity bodies through', () => {
    expect(decodeBody(text, {}, max)).toEqual({ ok: true, body: text, cut: false });
    expect(decodeBody(text, { 'content-encoding': 'identity' }, max)).toMatchObject({ ok: true, body: text });
  });
  it.each([
    ['gzip', zlib.gzipSync(text)],
    ['x-gzip', zlib.gzipSync(text)],
    ['deflate', zlib.deflateSync(text)],
    ['deflate', zlib.deflateRawSync(text)], // raw deflate, as some servers send it
    ['br', zlib.brotliCompressSync(text)],
    ['GZIP', zlib.gzipSync(text)],
  ])('decodes %s', (enc, body) => {
    const d = decodeBody(body, { 'content-encoding': enc }, max);
    expect(d.ok && d.body.equals(text)).toBe(true);
  });
  it('undoes stacked codings right to left', () => {
    const body = zlib.brotliCompressSync(zlib.gzipSync(text));
    const d = decodeBody(body, { 'content-encoding': 'gzip, br' }, max);
    expect(d.ok && d.body.equals(text)).toBe(true);
    expect(codingsOf(['gzip', ' br'])).toEqual(['gzip', 'br']);
  });
  it('stops a zip bomb at maxBody', () => {
    const bomb = zlib.gzipSync(Buffer.alloc(50 << 20));
    expect(bomb.length).toBeLessThan(100_000);
    expect(decodeBody(bomb, { 'content-encoding': 'gzip' }, { maxBody: 1 << 20 })).toEqual({
      ok: false,
      reason: 'too-large',
      encoding: 'gzip',
    });
  });
  it('cuts identity bodies to maxBody', () => {
    const d = decodeBody(text, {}, { maxBody: 10 });
    expect(d).toMatchObject({ ok: true, cut: true });
    expect(d.ok && d.body.length).toBe(10);
  });
  it('decodes the start of a truncated capture', () => {
    for (const [enc, full] of [
      ['gzip', zlib.gzipSync(text)],
      ['br', zlib.brotliCompressSync(text)],
      ['deflate', zlib.deflateSync(text)],
    ] as const) {
      const prefix = full.subarray(0, Math.floor(full.length / 2));
      const d = decodeBody(prefix, { 'content-encoding': enc }, { ...max, truncated: true });
      expect(d.ok, enc).toBe(true);
      if (d.ok) {
        expect(d.body.length).toBeGreaterThan(0);
        expect(text.subarray(0, d.body.length).equals(d.body)).toBe(true);
      }
      // Without the truncated flag the missing end is an error, reported as a value.
      expect(decodeBody(prefix, { 'content-encoding': enc }, max)).toMatchObject({ ok: false, reason: 'corrupt' });
    }
  });
  it('reports garbage and unknown codings without throwing', () => {
    expect(decodeBody(Buffer.from('not gzip at all'), { 'content-encoding': 'gzip' }, max)).toEqual({
      ok: false,
      reason: 'corrupt',
      encoding: 'gzip',
    });
    expect(() => decodeBody(Buffer.from('\xff\xfe garbage'), { 'content-encoding': 'br' }, { ...max, truncated: true })).not.toThrow();
    expect(decodeBody(text, { 'content-encoding': 'zstd' }, max)).toEqual({ ok: false, reason: 'unsupported', encoding: 'zstd' });
  });
  it('treats an empty encoded body (HEAD, 204) as empty', () => {
    expect(decodeBody(Buffer.alloc(0), { 'content-encoding': 'gzip' }, max)).toMatchObject({ ok: true, cut: false });
  });
});
