import { describe, expect, it } from 'vitest';
import { endpointOf, paramOf } from '../../../src/compare/template.js';

describe('endpointOf', () => {
  it('templates numbers, uuids, dates, hashes and tokens', () => {
    expect(endpointOf('get', '/users/123/orders/9?page=2')).toBe('GET /users/:id/orders/:id');
    expect(endpointOf('GET', '/docs/3f2504e0-4f89-11d3-9a0c-0305e82c3301')).toBe('GET /docs/:uuid');
    expect(endpointOf('GET', '/reports/2024-01-31/daily')).toBe('GET /reports/:date/daily');
    expect(endpointOf('GET', '/at/2024-01-31T10:00:00Z')).toBe('GET /at/:date');
    expect(endpointOf('GET', '/blobs/d41d8cd98f00b204e9800998ecf8427e')).toBe('GET /blobs/:hash');
    expect(endpointOf('GET', '/commits/a1b2c3d4e5f60718')).toBe('GET /commits/:hash');
    expect(endpointOf('GET', '/s/aB3dE5fG7hJ9kL1mN2pQ4r')).toBe('GET /s/:hash');
    expect(endpointOf('GET', '/t/eyJhbGciOiJIUzI1NiJ9-abc_XYZ')).toBe('GET /t/:token');
    expect(endpointOf('GET', '/c/cus_9s6XKzkNRiz8i3')).toBe('GET /c/:id');
  });
  it('keeps words, versions, slugs and snake_case names', () => {
    expect(endpointOf('GET', '/api/v2/users')).toBe('GET /api/v2/users');
    expect(endpointOf('GET', '/blog/top-10-recipes-for-summer-2024')).toBe('GET /blog/top-10-recipes-for-summer-2024');
    expect(endpointOf('GET', '/fields/estimated_delivery_date_utc')).toBe('GET /fields/estimated_delivery_date_utc');
    expect(endpointOf('GET', '/x/GetUserAccountSettingsNow')).toBe('GET /x/GetUserAccountSettingsNow');
    expect(endpointOf('GET', '/en-US/abc')).toBe('GET /en-US/abc');
    expect(endpointOf('GET', '/')).toBe('GET /');
    expect(endpointOf('GET', '?q=1')).toBe('GET /');
  });
  it('uses a route template with params, dropping the query', () => {
    expect(endpointOf('GET', '/users/7', '/users/:id')).toBe('GET /users/:id');
    expect(endpointOf('GET', '/users/alice', '/users/:name?x=1')).toBe('GET /users/:name');
    // A prefix template names the head; the tail is templated by shape.
    expect(endpointOf('GET', '/users/7/orders/99', '/users/:id/*')).toBe('GET /users/:id/orders/:id');
    expect(endpointOf('GET', '/users/7', '/users/:id/*')).toBe('GET /users/:id');
    // Without params the template says nothing about the path: learn it.
    expect(endpointOf('GET', '/api/items/5', '/api/*')).toBe('GET /api/items/:id');
  });
  it('classifies segments', () => {
    expect(['42', 'v2', 'api', 'users', ''].map(paramOf)).toEqual([':id', undefined, undefined, undefined, undefined]);
  });
});
