// Sticky splitting end to end: real proxy, real upstreams, arms observed by which upstream answered.
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const route = (split: string, extra = '') => `
upstreams: { v1: URL_A, v2: URL_B, v3: URL_C }
trustedProxies: [127.0.0.1/32]
routes:
  - name: checkout
    match: { path: /api/* }
    arms: { control: v1, variant: v2 }
    split: { variant: ${split} }
    sticky: [header:x-user-id, cookie:fl_uid]
    force: header:x-fieldlab-arm
${extra}`;

describe('sticky split', () => {
  let a: TestUpstream, b: TestUpstream, c: TestUpstream, fl: TestFieldlab, pool: Pool;
  const cfg = (text: string) => text.replace('URL_A', a.url).replace('URL_B', b.url).replace('URL_C', c.url);

  /** Which upstream answered for each user (one request per user). */
  async function armsOf(users: string[], headers: Record<string, string> = {}): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    for (let i = 0; i < users.length; i += 200) {
      await Promise.all(
        users.slice(i, i + 200).map(async (u) => {
          const res = await pool.request({ path: '/api/items', method: 'GET', headers: { 'x-user-id': u, ...headers } });
          const body = (await res.body.json()) as { name: string };
          out.set(u, body.name);
        }),
      );
    }
    return out;
  }
  const users = (n: number, prefix = 'user') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);
  const share = (m: Map<string, string>, name: string) => [...m.values()].filter((v) => v === name).length / m.size;
  async function reconfigure(text: string) {
    fl.writeConfig(cfg(text));
    const r = await fl.app.reload('test');
    expect(r.ok).toBe(true);
  }

  beforeAll(async () => {
    [a, b, c] = await Promise.all([startUpstream('v1'), startUpstream('v2'), startUpstream('v3')]);
    fl = await startFieldlab(cfg(route('10')));
    pool = new Pool(fl.url, { connections: 16 });
  });
  afterAll(async () => {
    await pool.close();
    await fl.close();
    await Promise.all([a.close(), b.close(), c.close()]);
  });

  it('keeps each user on one arm across many requests', async () => {
    const first = await armsOf(users(200));
    for (let round = 0; round < 5; round++) expect(await armsOf(users(200))).toEqual(first);
  });

  it('splits 10,000 keys within ±1.5 points of the configured percent', async () => {
    const arms = await armsOf(users(10_000, 'ratio'));
    expect(Math.abs(share(arms, 'v2') - 0.1)).toBeLessThan(0.015);
  });

  it('reproduces the documented hash offline: uint32be(sha256(seed\\nkey)[0..4]) mod 10000 < percent*100', async () => {
    const keys = users(1000, 'offline');
    const arms = await armsOf(keys);
    // The route has no `seed:`, so its seed is the random one kept in the store.
    const seed = fl.app.config.current().routes[0]!.seed;
    expect(seed).toMatch(/^[0-9a-f]{32}$/);
    for (const k of keys) {
      const bucket = createHash('sha256').update(`${seed}\n${k}`).digest().readUInt32BE(0) % 10_000;
      expect(arms.get(k)).toBe(bucket < 1000 ? 'v2' : 'v1');
    }
  });

  it('ramps monotonically: 10% → 20% moves only control users, all into the variant, and back', async () => {
    const keys = users(5000, 'ramp');
    const at10 = await armsOf(keys);
    await reconfigure(route('20'));
    const at20 = await armsOf(keys);
    let moved = 0;
    for (const k of keys) {
      if (at10.get(k) === 'v2') expect(at20.get(k)).toBe('v2');
      if (at10.get(k) !== at20.get(k)) {
        moved++;
        expect([at10.get(k), at20.get(k)]).toEqual(['v1', 'v2']);
      }
    }
    expect(moved / keys.length).toBeGreaterThan(0.07);
    expect(moved / keys.length).toBeLessThan(0.13);
    await reconfigure(route('10'));
    expect(await armsOf(keys)).toEqual(at10);
    // 15,000 real requests: 5 s on a quiet box, near 30 s on a loaded CI machine — a hang guard, not a timing check.
  }, 120_000);

  it('re-randomizes when the seed changes', async () => {
    const keys = users(4000, 'seed');
    await reconfigure(route('50'));
    const before = await armsOf(keys);
    await reconfigure(route('50').replace('force:', 'seed: new-seed\n    force:'));
    const after = await armsOf(keys);
    const changed = keys.filter((k) => before.get(k) !== after.get(k)).length / keys.length;
    // Independent 50/50 assignments disagree half the time.
    expect(changed).toBeGreaterThan(0.4);
    expect(changed).toBeLessThan(0.6);
    await reconfigure(route('10'));
  });

  it('lets QA force an arm by name and ignores unknown names', async () => {
    const keys = users(300, 'force');
    const natural = await armsOf(keys);
    const forced = await armsOf(keys, { 'x-fieldlab-arm': 'variant' });
    expect(new Set(forced.values())).toEqual(new Set(['v2']));
    expect(await armsOf(keys, { 'x-fieldlab-arm': 'control' })).toEqual(new Map(keys.map((k) => [k, 'v1'])));
    expect(await armsOf(keys, { 'x-fieldlab-arm': 'no-such-arm' })).toEqual(natural);
  });

  it('issues a long-lived sticky cookie to anonymous users and honours it after', async () => {
    const res = await pool.request({ path: '/api/items', method: 'GET' });
    const arm = ((await res.body.json()) as { name: string }).name;
    const cookie = String(res.headers['set-cookie']);
    expect(cookie).toMatch(/^fl_uid=[0-9a-f-]{36}; Path=\/; Max-Age=31536000; HttpOnly; SameSite=Lax$/);
    const id = cookie.split(';')[0]!;
    for (let i = 0; i < 10; i++) {
      const again = await pool.request({ path: '/api/items', method: 'GET', headers: { cookie: `other=1; ${id}` } });
      expect(again.headers['set-cookie']).toBeUndefined();
      expect(((await again.body.json()) as { name: string }).name).toBe(arm);
    }
    const tls = await pool.request({ path: '/api/items', method: 'GET', headers: { 'x-forwarded-proto': 'https' } });
    await tls.body.text();
    expect(String(tls.headers['set-cookie'])).toMatch(/; Secure$/);
  });

  it('keeps the arm private unless exposeArm is set', async () => {
    const hidden = await pool.request({ path: '/api/items', method: 'GET', headers: { 'x-user-id': 'u' } });
    await hidden.body.text();
    expect(hidden.headers['x-fieldlab-arm']).toBeUndefined();
    await reconfigure(route('10', '    exposeArm: true'));
    const shown = await pool.request({ path: '/api/items', method: 'GET', headers: { 'x-user-id': 'u' } });
    const body = (await shown.body.json()) as { name: string };
    expect(shown.headers['x-fieldlab-arm']).toBe(body.name === 'v2' ? 'variant' : 'control');
    await reconfigure(route('10'));
  });

  it('uses X-Forwarded-For for the ip source only from trusted proxies', async () => {
    const ipRoute = (trusted: string) =>
      route('50')
        .replace('trustedProxies: [127.0.0.1/32]', `trustedProxies: [${trusted}]`)
        .replace('[header:x-user-id, cookie:fl_uid]', '[ip]');
    await reconfigure(ipRoute('127.0.0.1/32'));
    const ips = Array.from({ length: 40 }, (_, i) => `203.0.113.${i + 1}`);
    const seen = new Set<string>();
    for (const ip of ips) {
      const res = await pool.request({ path: '/api/items', method: 'GET', headers: { 'x-forwarded-for': `198.51.100.9, ${ip}` } });
      seen.add(((await res.body.json()) as { name: string }).name);
    }
    expect(seen).toEqual(new Set(['v1', 'v2']));
    await reconfigure(ipRoute('10.0.0.0/8'));
    seen.clear();
    for (const ip of ips) {
      const res = await pool.request({ path: '/api/items', method: 'GET', headers: { 'x-forwarded-for': ip } });
      seen.add(((await res.body.json()) as { name: string }).name);
    }
    expect(seen.size).toBe(1); // untrusted peer: everyone is 127.0.0.1
    await reconfigure(route('10'));
  });

  it('splits A/B/n across several variants in their own lanes', async () => {
    await reconfigure(
      route('10')
        .replace('arms: { control: v1, variant: v2 }', 'arms: { control: v1, b: v2, c: v3 }')
        .replace('split: { variant: 10 }', 'split: { b: 20, c: 30 }'),
    );
    const arms = await armsOf(users(6000, 'abn'));
    expect(Math.abs(share(arms, 'v1') - 0.5)).toBeLessThan(0.02);
    expect(Math.abs(share(arms, 'v2') - 0.2)).toBeLessThan(0.02);
    expect(Math.abs(share(arms, 'v3') - 0.3)).toBeLessThan(0.02);
    await reconfigure(route('10'));
  });
});
