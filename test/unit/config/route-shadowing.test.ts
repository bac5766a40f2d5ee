// Which earlier match blocks take every request a later one would (so the later route is dead).
import { describe, expect, it } from 'vitest';
import { covers } from '../../../src/config/route-shadowing.js';

describe('covers', () => {
  it('a catch-all /* covers every path', () => {
    for (const path of ['/*', '/api/*', '/users/:id', '/exact', '/:any/*']) expect(covers({ path: '/*' }, { path })).toBe(true);
  });

  it('a prefix covers the paths under it (segment boundary), not its neighbours', () => {
    expect(covers({ path: '/api/*' }, { path: '/api' })).toBe(true);
    expect(covers({ path: '/api/*' }, { path: '/api/v2/*' })).toBe(true);
    expect(covers({ path: '/api/*' }, { path: '/api/users/:id' })).toBe(true);
    expect(covers({ path: '/api/*' }, { path: '/apix' })).toBe(false);
    expect(covers({ path: '/api/*' }, { path: '/:section/api' })).toBe(false);
    expect(covers({ path: '/api/v2/*' }, { path: '/api/*' })).toBe(false);
  });

  it('exact and templated earlier paths cover only the identical pattern', () => {
    expect(covers({ path: '/a' }, { path: '/a' })).toBe(true);
    expect(covers({ path: '/a' }, { path: '/a/*' })).toBe(false);
    expect(covers({ path: '/users/:id' }, { path: '/users/:id' })).toBe(true);
    expect(covers({ path: '/users/:id' }, { path: '/users/7' })).toBe(false); // conservative: not claimed
    expect(covers({ path: '/users/:id/*' }, { path: '/users/7/x' })).toBe(false);
  });

  it('methods: all, or a superset, covers', () => {
    expect(covers({ path: '/*' }, { path: '/a', methods: ['GET'] })).toBe(true);
    expect(covers({ path: '/*', methods: ['GET', 'POST'] }, { path: '/a', methods: ['GET'] })).toBe(true);
    expect(covers({ path: '/*', methods: ['GET'] }, { path: '/a' })).toBe(false);
    expect(covers({ path: '/*', methods: ['GET'] }, { path: '/a', methods: ['GET', 'POST'] })).toBe(false);
  });

  it('hosts: any, the same, or a covering wildcard covers (ports and case ignored)', () => {
    expect(covers({ path: '/*' }, { path: '/', host: 'a.example.com' })).toBe(true);
    expect(covers({ path: '/*', host: 'A.example.com:443' }, { path: '/', host: 'a.example.com' })).toBe(true);
    expect(covers({ path: '/*', host: '*.example.com' }, { path: '/', host: ['a.example.com', '*.b.example.com'] })).toBe(true);
    expect(covers({ path: '/*', host: '*.example.com' }, { path: '/', host: 'example.com' })).toBe(false);
    expect(covers({ path: '/*', host: 'a.example.com' }, { path: '/' })).toBe(false);
  });

  it('headers: the earlier route must require nothing the later one does not', () => {
    expect(covers({ path: '/*' }, { path: '/', headers: { 'x-beta': '1' } })).toBe(true);
    expect(covers({ path: '/*', headers: { 'X-Beta': '*' } }, { path: '/', headers: { 'x-beta': '1' } })).toBe(true);
    expect(covers({ path: '/*', headers: { 'x-beta': '1' } }, { path: '/', headers: { 'x-beta': '1', 'x-qa': '*' } })).toBe(true);
    expect(covers({ path: '/*', headers: { 'x-beta': '1' } }, { path: '/', headers: { 'x-beta': '*' } })).toBe(false);
    expect(covers({ path: '/*', headers: { 'x-beta': '1' } }, { path: '/' })).toBe(false);
  });
});
