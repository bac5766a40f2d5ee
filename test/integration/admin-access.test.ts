// Admin access as operators set it up: separate read and write tokens, a login form that gives a
// browser a read-only session cookie, and a token-free scrape/probe listener apart from the API.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const TOKENS = 'admin: { listen: 127.0.0.1:0, readToken: r3ad-token, writeToken: wr1te-token }\n';

describe('admin read and write tokens', () => {
  let fl: TestFieldlab | undefined;
  let up: TestUpstream | undefined;
  afterEach(async () => {
    await fl?.close();
    await up?.close();
    fl = undefined;
  });

  async function start(extra = '') {
    up = await startUpstream('a');
    fl = await startFieldlab(`${TOKENS}${extra}upstreams: { a: "${up.url}" }\nroutes: [{ name: r, arms: { control: a } }]\n`);
    return fl;
  }
  const call = (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}) =>
    request(`${fl!.adminUrl}${path}`, { method, headers }).then(async (r) => ({
      status: r.statusCode,
      headers: r.headers,
      body: await r.body.text(),
    }));
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });

  it('reads take the read or the write token; writes only the write token', async () => {
    await start();
    expect((await call('GET', '/metrics')).status).toBe(401);
    expect((await call('GET', '/metrics', bearer('r3ad-token'))).status).toBe(200);
    expect((await call('GET', '/routes', bearer('wr1te-token'))).status).toBe(200);
    expect((await call('GET', '/status', bearer('nope'))).status).toBe(401);
    const denied = await call('POST', '/reload', bearer('r3ad-token'));
    expect(denied.status).toBe(403);
    expect(denied.headers['x-fieldlab-error']).toBe('FL_ADMIN_FORBIDDEN');
    expect((await call('POST', '/reload', bearer('wr1te-token'))).status).toBe(200);
    // Probes stay open.
    expect((await call('GET', '/healthz')).status).toBe(200);
    expect((await call('GET', '/readyz')).status).toBe(200);
  });

  it('admin.token still grants both', async () => {
    up = await startUpstream('a');
    fl = await startFieldlab(`admin: { listen: 127.0.0.1:0, token: b0th }\nupstreams: { a: "${up.url}" }\n`);
    expect((await call('GET', '/config', bearer('b0th'))).status).toBe(200);
    expect((await call('POST', '/reload', bearer('b0th'))).status).toBe(200);
    expect((await call('POST', '/reload')).status).toBe(401);
  });

  it('a browser is sent to the login form, and the cookie it gets reads but never writes', async () => {
    await start();
    const redirect = await call('GET', '/diffs?route=r', { accept: 'text/html,application/xhtml+xml' });
    expect(redirect.status).toBe(303);
    expect(redirect.headers.location).toBe('/login?next=%2Fdiffs%3Froute%3Dr');
    const form = await call('GET', '/login?next=%2Fdiffs%3Froute%3Dr');
    expect(form.status).toBe(200);
    expect(form.body).toContain('<input type="hidden" name="next" value="/diffs?route=r">');

    const post = (body: string) =>
      request(`${fl!.adminUrl}/login`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body });
    const wrong = await post('token=guess&next=%2Fdiffs');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.headers['set-cookie']).toBeUndefined();
    await wrong.body.dump();

    const ok = await post('token=r3ad-token&next=%2Fdiffs%3Froute%3Dr');
    await ok.body.dump();
    expect(ok.statusCode).toBe(303);
    expect(ok.headers.location).toBe('/diffs?route=r');
    const setCookie = String(ok.headers['set-cookie']);
    expect(setCookie).toMatch(/^fl_admin=\d+\.[A-Za-z0-9_-]{43}; Max-Age=43200; Path=\/; HttpOnly; SameSite=Strict$/);
    expect(setCookie).not.toContain('r3ad-token');
    const cookie = { cookie: setCookie.split(';')[0]! };
    expect((await call('GET', '/diffs', cookie)).status).toBe(200);
    expect((await call('GET', '/metrics', cookie)).status).toBe(200);
    // Even a session opened with the write token can't act: writes need the bearer header.
    const writeLogin = await post('token=wr1te-token');
    await writeLogin.body.dump();
    const writeCookie = { cookie: String(writeLogin.headers['set-cookie']).split(';')[0]! };
    expect((await call('POST', '/reload', writeCookie)).status).toBe(403);
    expect((await call('POST', '/routes/r/rollback', cookie)).status).toBe(403);
    // A tampered or foreign cookie is nothing.
    const [name, value] = cookie.cookie.split('=') as [string, string];
    const [exp, mac] = value.split('.') as [string, string];
    expect((await call('GET', '/diffs.json', { cookie: `${name}=${Number(exp) + 1}.${mac}` })).status).toBe(401);
    expect((await call('GET', '/diffs.json', { cookie: `${name}=${exp}.${'A'.repeat(43)}` })).status).toBe(401);
  });

  it('never redirects off the admin origin after a login', async () => {
    await start();
    // Tab and newline are dropped by browsers (so `/\t/evil` is `//evil`); control and non-ASCII
    // characters can't go into a Location header at all and must not crash the process.
    for (const next of [
      '//evil.example/x',
      'https://evil.example/',
      '/\\evil.example',
      '/\t/evil.example',
      '/\n/x',
      '/\r\n/x',
      '/\x01',
      '/\x7f',
      '/中',
    ]) {
      const r = await request(`${fl!.adminUrl}/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ token: 'r3ad-token', next }).toString(),
      });
      await r.body.dump();
      expect(r.headers.location).toBe('/diffs');
    }
    expect((await call('GET', '/healthz')).status).toBe(200);
  });
});

describe('metrics listener', () => {
  let fl: TestFieldlab | undefined;
  let up: TestUpstream | undefined;
  afterEach(async () => {
    await fl?.close();
    await up?.close();
  });

  it('serves /metrics, /healthz and /readyz without a token, and nothing else', async () => {
    up = await startUpstream('a');
    fl = await startFieldlab(`${TOKENS}metrics: { listen: 127.0.0.1:0 }\nupstreams: { a: "${up.url}" }\n`);
    const base = `http://127.0.0.1:${fl.app.metricsPort()}`;
    const get = (path: string, method: 'GET' | 'POST' = 'GET') =>
      request(`${base}${path}`, { method }).then(async (r) => ({
        status: r.statusCode,
        type: r.headers['content-type'],
        body: await r.body.text(),
      }));
    const metrics = await get('/metrics');
    expect(metrics.status).toBe(200);
    expect(metrics.type).toBe('text/plain; version=0.0.4; charset=utf-8');
    expect(metrics.body).toContain('fieldlab_config_version');
    expect((await get('/healthz')).status).toBe(200);
    expect((await get('/readyz')).status).toBe(200);
    for (const path of ['/config', '/routes', '/status', '/diffs', '/decisions.json']) expect((await get(path)).status).toBe(404);
    expect((await get('/reload', 'POST')).status).toBe(404);
    expect((await get('/routes/r/rollback', 'POST')).status).toBe(404);
  });
});
