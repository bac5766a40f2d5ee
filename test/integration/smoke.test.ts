import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

describe('smoke', () => {
  let a: TestUpstream, b: TestUpstream, fl: TestFieldlab;
  beforeAll(async () => {
    a = await startUpstream('a');
    b = await startUpstream('b');
    fl = await startFieldlab(`
upstreams: { a: ${a.url}, b: ${b.url} }
routes:
  - name: r
    match: { path: /api/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user-id]
`);
  });
  afterAll(async () => {
    await fl.close();
    await a.close();
    await b.close();
  });
  it('forwards and answers', async () => {
    const res = await request(`${fl.url}/api/x`, { headers: { 'x-user-id': 'u1' } });
    const body = (await res.body.json()) as { name: string; headers: Record<string, string> };
    expect(res.statusCode).toBe(200);
    expect(body.headers['x-fieldlab-route']).toBe('r');
    const res2 = await request(`${fl.url}/nope`);
    expect(res2.statusCode).toBe(404);
    expect(res2.headers['x-fieldlab-error']).toBe('FL_NO_ROUTE');
    await res2.body.text();
  });
});
