// The operator's own browser as the attacker: a page on another site POSTs to the token-less loopback
// admin API (a simple form needs no CORS preflight), or rebinds its own hostname to 127.0.0.1 to read
// /config. Both are refused before any handler runs; curl and the CLI (no Origin, no Fetch Metadata)
// are unaffected.
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

describe('admin API against forged browser requests', () => {
  let fl: TestFieldlab | undefined;
  let up: TestUpstream | undefined;
  afterEach(async () => {
    await fl?.close();
    await up?.close();
    fl = undefined;
  });

  async function start(admin = 'admin: { listen: 127.0.0.1:0 }\n') {
    up = await startUpstream('a');
    fl = await startFieldlab(`${admin}upstreams: { a: "${up.url}" }\nroutes: [{ name: r, arms: { control: a } }]\n`);
    return fl;
  }
  const call = (method: 'GET' | 'POST', path: string, headers: Record<string, string> = {}, body?: string) =>
    request(`${fl!.adminUrl}${path}`, { method, headers, body }).then(async (r) => ({
      status: r.statusCode,
      code: r.headers['x-fieldlab-error'],
      body: await r.body.text(),
    }));
  const lastReload = async () => JSON.parse((await call('GET', '/config')).body).lastReload;
  const form = { 'content-type': 'application/x-www-form-urlencoded' };

  it('refuses a cross-site form POST to the open loopback API, and nothing happens', async () => {
    await start();
    const forged = await call('POST', '/reload', { ...form, origin: 'https://evil.example' }, 'x=1');
    expect(forged.status).toBe(403);
    expect(forged.code).toBe('FL_ADMIN_CROSS_SITE');
    expect(JSON.parse(forged.body).error.message).toContain('evil.example');
    const metadata = await call('POST', '/reload', { ...form, 'sec-fetch-site': 'cross-site' }, 'x=1');
    expect(metadata.code).toBe('FL_ADMIN_CROSS_SITE');
    expect((await call('POST', '/reload', { ...form, 'sec-fetch-site': 'same-site' }, 'x=1')).code).toBe('FL_ADMIN_CROSS_SITE');
    expect((await call('POST', '/reload', { origin: 'null' })).code).toBe('FL_ADMIN_CROSS_SITE');
    expect(await lastReload()).toBeNull();
    // The same action from the admin page's own origin, or from curl/the CLI, goes through.
    const origin = new URL(fl!.adminUrl).origin;
    expect((await call('POST', '/reload', { origin, 'sec-fetch-site': 'same-origin' })).status).toBe(200);
    expect((await call('POST', '/reload')).status).toBe(200);
    expect(await lastReload()).not.toBeNull();
    // Behind a reverse proxy that rewrites Host, the browser's own Fetch Metadata is believed over Origin.
    expect((await call('POST', '/reload', { origin: 'https://admin.example', 'sec-fetch-site': 'same-origin' })).status).toBe(200);
  });

  it('answers a token-less API only under a loopback name or its own address (DNS rebinding)', async () => {
    await start();
    const port = new URL(fl!.adminUrl).port;
    const rebound = await call('GET', '/config', { host: `evil.example:${port}` });
    expect(rebound.status).toBe(403);
    expect(rebound.code).toBe('FL_ADMIN_CROSS_SITE');
    expect(rebound.body).not.toContain('upstreams');
    expect((await call('GET', '/status', { host: `attacker.localhost.evil.example:${port}` })).code).toBe('FL_ADMIN_CROSS_SITE');
    expect((await call('POST', '/routes/r/rollback', { host: `evil.example:${port}` })).code).toBe('FL_ADMIN_CROSS_SITE');
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `app.localhost:${port}`]) {
      expect((await call('GET', '/config', { host })).status, host).toBe(200);
    }
    // Probes stay open to any name (kubelets address pods by IP or service name).
    expect((await call('GET', '/healthz', { host: 'fieldlab-admin.default.svc' })).status).toBe(200);
  });

  it('with tokens, any Host may read with its credential, but a cross-site write is still refused', async () => {
    await start('admin: { listen: 127.0.0.1:0, token: s3cret }\n');
    const auth = { authorization: 'Bearer s3cret' };
    expect((await call('GET', '/config', { ...auth, host: 'fieldlab-admin.default.svc:9901' })).status).toBe(200);
    const forged = await call('POST', '/reload', { ...auth, origin: 'https://evil.example' });
    expect(forged.code).toBe('FL_ADMIN_CROSS_SITE');
    expect((await call('POST', '/reload', auth)).status).toBe(200);
  });
});
