import { describe, expect, it } from 'vitest';
import { normalizePath, removeDotSegments } from '../../../src/routing/normalize-path.js';

const on = { normalize: true, escapedSlashes: 'reject' } as const;
const keep = { normalize: true, escapedSlashes: 'keep' } as const;

describe('normalizePath', () => {
  it('resolves every spelling of a dot-segment and merges slashes', () => {
    const toAdmin = [
      '/public/../admin',
      '/public/./../admin',
      '/public/%2e%2e/admin',
      '/public/%2E%2E/admin',
      '/public/.%2e/admin',
      '/public/%2e./admin',
      '/public/%2e/../admin',
      '/public//../admin',
      '/public/x/../../admin',
      '/public/../../../admin',
      '//public/..//admin',
      '/%70ublic/../%61dmin',
    ];
    for (const p of toAdmin) expect(normalizePath(p, on), p).toEqual({ ok: true, path: '/admin' });
  });

  it('refuses encoded slashes and backslashes, invalid escapes, NUL, broken UTF-8 and ..; segments', () => {
    const refused = [
      '/public/..%2fadmin',
      '/public/..%2Fadmin',
      '/public%2f..%2fadmin',
      '/public/%2e%2e%2fadmin',
      '/public/..%5cadmin',
      '/public/..\\admin',
      '/public/%zz',
      '/public/%4',
      '/public/%',
      '/public/%u002e%u002e/admin',
      '/public/%00/x',
      '/public/%c0%ae%c0%ae/admin',
      '/public/%e0%80%ae/admin',
      '/public/..;/admin',
      '/public/.;x/admin',
    ];
    for (const p of refused) expect(normalizePath(p, on).ok, p).toBe(false);
  });

  it('keeps reserved escapes encoded (hex upper-cased) and double encodings as they are', () => {
    expect(normalizePath('/a/%3b%3D/%7euser', on)).toEqual({ ok: true, path: '/a/%3B%3D/~user' });
    expect(normalizePath('/public/%252e%252e/admin', on)).toEqual({ ok: true, path: '/public/%252e%252e/admin' });
    expect(normalizePath('/caf%C3%A9', on)).toEqual({ ok: true, path: '/caf%C3%A9' });
  });

  it('with escapedSlashes: keep, passes %2F through as data, never as a separator', () => {
    expect(normalizePath('/repos/group%2fproject/../x', keep)).toEqual({ ok: true, path: '/repos/x' });
    expect(normalizePath('/public/..%2Fadmin', keep)).toEqual({ ok: true, path: '/public/..%2Fadmin' });
  });

  it('returns clean paths untouched, and everything untouched when off', () => {
    const clean = '/api/users/42/orders.json';
    expect(normalizePath(clean, on)).toEqual({ ok: true, path: clean });
    expect(normalizePath('/a/../b', { normalize: false, escapedSlashes: 'reject' })).toEqual({ ok: true, path: '/a/../b' });
  });
});

describe('removeDotSegments (RFC 3986 §5.2.4 examples)', () => {
  it('matches the RFC', () => {
    expect(removeDotSegments('/a/b/c/./../../g')).toBe('/a/g');
    expect(removeDotSegments('/a/b/..')).toBe('/a/');
    expect(removeDotSegments('/a/.')).toBe('/a/');
    expect(removeDotSegments('/..')).toBe('/');
  });
});
