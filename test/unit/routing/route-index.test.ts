import { describe, expect, it } from 'vitest';
import { mulberry32 as rng } from '../../../src/stats/random.js';
import { buildRouteIndex } from '../../../src/routing/route-index.js';
import { compileMatch, findRoute, findRouteLinear, type MatchInput, type MatchSpec } from '../../../src/routing/route-table.js';

// A small alphabet of segments so random routes and paths collide often (overlaps are the point).
const SEGMENTS = ['api', 'v1', 'v2', 'users', 'items', '1', '42', 'a', 'b', 'a:b', ''];
const HOSTS = ['shop.example.com', 'eu.beta.example.com', 'other.test'];
const HOST_PATTERNS = ['shop.example.com', '*.example.com', '*.beta.example.com', '*', 'other.test:8080'];

function randomPattern(r: () => number): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)]!;
  const n = Math.floor(r() * 4);
  const segs: string[] = [];
  for (let i = 0; i < n; i++) segs.push(r() < 0.2 ? `:p${i}` : pick(SEGMENTS));
  const body = `/${segs.join('/')}`;
  const tail = r();
  if (tail < 0.4) return body === '/' ? '/*' : `${body}/*`;
  return body;
}

function randomSpec(r: () => number): MatchSpec {
  const spec: { -readonly [K in keyof MatchSpec]: MatchSpec[K] } = { path: randomPattern(r) };
  if (r() < 0.3) spec.host = HOST_PATTERNS[Math.floor(r() * HOST_PATTERNS.length)]!;
  if (r() < 0.2) spec.methods = r() < 0.5 ? ['GET'] : ['POST', 'PUT'];
  if (r() < 0.15) spec.headers = { 'x-beta': r() < 0.5 ? '1' : '*' };
  return spec;
}

function randomRequest(r: () => number): MatchInput {
  const n = Math.floor(r() * 5);
  const segs = Array.from({ length: n }, () => SEGMENTS[Math.floor(r() * SEGMENTS.length)]!);
  const path = r() < 0.1 ? '' : `/${segs.join('/')}${r() < 0.1 ? '/' : ''}`;
  return {
    method: r() < 0.7 ? 'GET' : 'POST',
    host: HOSTS[Math.floor(r() * HOSTS.length)]!,
    path,
    headers: r() < 0.5 ? { 'x-beta': r() < 0.5 ? '1' : '0' } : {},
  };
}

describe('route index', () => {
  it('agrees with the linear first-match walk on random route sets and paths', () => {
    let matched = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const r = rng(seed);
      const routes = Array.from({ length: 1 + Math.floor(r() * 40) }, (_, i) => ({ name: `r${i}`, matcher: compileMatch(randomSpec(r)) }));
      const index = buildRouteIndex(routes);
      for (let k = 0; k < 200; k++) {
        const req = randomRequest(r);
        const want = findRouteLinear(routes, req);
        if (want) matched++;
        expect({ seed, path: req.path, got: index.find(req)?.name }).toEqual({ seed, path: req.path, got: want?.name });
      }
    }
    // The generator must produce matches, or agreement on "no route" would prove nothing.
    expect(matched).toBeGreaterThan(10_000);
  });

  it('keeps the first listed route when a later, more specific one also matches', () => {
    const routes = ['/api/*', '/api/users/:id', '/api/users/1'].map((path, i) => ({ name: `r${i}`, matcher: compileMatch({ path }) }));
    const req = { method: 'GET', host: 'h', path: '/api/users/1', headers: {} };
    expect(findRoute(routes, req)?.name).toBe('r0');
    expect(findRoute(routes.slice(1), req)?.name).toBe('r1');
  });

  it('finds the last of 1000 routes and answers none for a path no route has', () => {
    const routes = Array.from({ length: 1000 }, (_, i) => ({ name: `r${i}`, matcher: compileMatch({ path: `/svc${i}/*` }) }));
    expect(findRoute(routes, { method: 'GET', host: 'h', path: '/svc999/x', headers: {} })?.name).toBe('r999');
    expect(findRoute(routes, { method: 'GET', host: 'h', path: '/nope', headers: {} })).toBeUndefined();
  });
});
