import { describe, expect, it } from 'vitest';
import { compilePath } from '../../../src/routing/path-matcher.js';
import { compileMatch } from '../../../src/routing/route-table.js';

describe('compilePath', () => {
  it('matches exact paths only exactly', () => {
    const m = compilePath('/a/b');
    expect([m.matches('/a/b'), m.matches('/a/b/'), m.matches('/a/bc'), m.matches('/a')]).toEqual([true, false, false, false]);
  });
  it('matches a prefix at segment boundaries, including the bare prefix', () => {
    const m = compilePath('/api/*');
    expect([m.matches('/api'), m.matches('/api/'), m.matches('/api/x/y'), m.matches('/apix')]).toEqual([true, true, true, false]);
    expect(compilePath('/*').matches('/anything')).toBe(true);
  });
  it('matches :params as one non-empty segment', () => {
    const m = compilePath('/users/:id/orders');
    expect([m.matches('/users/7/orders'), m.matches('/users//orders'), m.matches('/users/7/8/orders')]).toEqual([true, false, false]);
    const p = compilePath('/users/:id/*');
    expect([p.matches('/users/7'), p.matches('/users/7/a/b'), p.matches('/users')]).toEqual([true, true, false]);
  });
});

describe('compileMatch', () => {
  const req = (over: Partial<{ method: string; host: string; path: string; headers: Record<string, string> }>) => ({
    method: 'GET',
    host: 'shop.example.com',
    path: '/api/x',
    headers: {},
    ...over,
  });
  it('checks host (exact, wildcard, list), method and headers', () => {
    const m = compileMatch({
      host: ['shop.example.com:443', '*.beta.example.com'],
      path: '/api/*',
      methods: ['GET'],
      headers: { 'X-Beta': '1', 'x-any': '*' },
    });
    const headers = { 'x-beta': '1', 'x-any': 'whatever' };
    expect(m.matches(req({ headers }))).toBe(true);
    expect(m.matches(req({ host: 'eu.beta.example.com', headers }))).toBe(true);
    expect(m.matches(req({ host: 'beta.example.com', headers }))).toBe(false);
    expect(m.matches(req({ method: 'POST', headers }))).toBe(false);
    expect(m.matches(req({ headers: { 'x-beta': '2', 'x-any': 'a' } }))).toBe(false);
    expect(m.matches(req({ headers: { 'x-beta': '1' } }))).toBe(false);
  });
});
