// The admin listener: probes, config and route views with secrets redacted, token enforcement.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { StartupConfigError } from '../../src/config/manager.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream, useServers } from '../helpers/servers.js';

describe('admin API', () => {
  let up: TestUpstream;
  let fl: TestFieldlab;
  const get = async (path: string, token?: string) => {
    const res = await request(`${fl.adminUrl}${path}`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    return { status: res.statusCode, headers: res.headers, body: (await res.body.json()) as Record<string, any> };
  };
  beforeAll(async () => {
    up = await startUpstream('a');
    fl = await startFieldlab(
      `
admin: { listen: 127.0.0.1:0, token: \${ADMIN_TOKEN} }
upstreams:
  a: ${up.url}
  b: { endpoints: [http://127.0.0.1:1], host: b.internal }
routes:
  - name: checkout
    match: { path: /api/checkout/* }
    arms: { control: a, variant: b }
    split: { variant: 25 }
  - name: three
    match: { path: /three/* }
    arms: { control: a, b1: a, b2: a }
    split: { b1: 33.3, b2: 33.3 }
`,
      { env: { ADMIN_TOKEN: 's3cret-token' } },
    );
  });
  afterAll(async () => {
    await fl.close();
    await up.close();
  });

  it('serves open health and readiness probes', async () => {
    expect(await get('/healthz')).toMatchObject({ status: 200, body: { status: 'ok' } });
    expect(await get('/readyz')).toMatchObject({ status: 200, body: { status: 'ready' } });
  });

  it('requires the bearer token for everything else', async () => {
    const denied = await get('/config');
    expect(denied.status).toBe(401);
    expect(denied.headers['x-fieldlab-error']).toBe('FL_ADMIN_UNAUTHORIZED');
    expect((await get('/config', 'wrong-token!')).status).toBe(401);
    expect((await get('/config', 's3cret-token')).status).toBe(200);
  });

  it('shows the live config with secrets redacted', async () => {
    const { body } = await get('/config', 's3cret-token');
    expect(body.version).toBe(1);
    expect(body.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(body.config.admin.token).toBe('***');
    expect(JSON.stringify(body)).not.toContain('s3cret-token');
    expect(body.lastReload).toBeNull();
  });

  it('lists routes with arms, weights, bucket ranges and upstreams', async () => {
    const { body } = await get('/routes', 's3cret-token');
    expect(body.routes).toHaveLength(2);
    expect(body.routes[0]).toMatchObject({
      name: 'checkout',
      seed: expect.stringMatching(/^[0-9a-f]{32}$/),
      seedSource: 'store',
      sticky: ['cookie:fl_uid'],
      arms: [
        { name: 'control', percent: 75, upstream: 'a', buckets: [[2500, 10000]] },
        { name: 'variant', percent: 25, upstream: 'b', buckets: [[0, 2500]] },
      ],
    });
  });

  it("shows control's real bucket ranges and percents without float noise", async () => {
    const res = await request(`${fl.adminUrl}/routes`, { headers: { authorization: 'Bearer s3cret-token' } });
    const text = await res.body.text();
    // 100 − 2 × 33.3 is 33.400000000000006 in binary floating point.
    expect(text).not.toMatch(/\d\.\d{7,}/);
    const three = (JSON.parse(text) as { routes: { arms: unknown[] }[] }).routes[1]!;
    expect(three.arms).toMatchObject([
      {
        name: 'control',
        percent: 33.4,
        buckets: [
          [3330, 5000],
          [8330, 10000],
        ],
      },
      { name: 'b1', percent: 33.3, buckets: [[0, 3330]] },
      { name: 'b2', percent: 33.3, buckets: [[5000, 8330]] },
    ]);
  });

  it('reloads on POST /reload and answers 404 with a code for unknown paths', async () => {
    const res = await request(`${fl.adminUrl}/reload`, { method: 'POST', headers: { authorization: 'Bearer s3cret-token' } });
    expect(res.statusCode).toBe(200);
    expect(await res.body.json()).toMatchObject({ ok: true, unchanged: true, trigger: 'admin' });
    const missing = await get('/nope', 's3cret-token');
    expect(missing.status).toBe(404);
    expect(missing.headers['x-fieldlab-error']).toBe('FL_ADMIN_NOT_FOUND');
  });

  it('refuses to start when admin listens beyond loopback without a token', async () => {
    const started = startFieldlab(`admin: { listen: 0.0.0.0:0 }\nupstreams: { a: ${up.url} }\n`);
    await expect(started).rejects.toBeInstanceOf(StartupConfigError);
    await expect(started).rejects.toThrow(
      /admin\.listen: admin listens beyond loopback, so admin\.token \(or admin\.writeToken and admin\.readToken\) is required/,
    );
  });
});

describe('admin /metrics through the app', () => {
  it('counts requests per route and arm in Prometheus text', async () => {
    const up = await startUpstream('m');
    const fl = await startFieldlab(`upstreams: { a: ${up.url} }\nroutes: [{ name: r, arms: { control: a } }]\n`);
    for (let i = 0; i < 3; i++) await (await request(`${fl.url}/x`)).body.text();
    const text = await (await request(`${fl.adminUrl}/metrics`)).body.text();
    expect(text).toMatch(/^fieldlab_requests_total\{route="r",arm="control",upstream="a",status_class="2xx",code="200",fl_code=""\} 3$/m);
    expect(text).toContain('# TYPE fieldlab_request_duration_seconds histogram');
    await fl.close();
    await up.close();
  });
});

describe('admin auth across reloads', () => {
  const servers = useServers();
  const up = (name: string) => servers.upstream(name);
  const fieldlab = (yaml: string) => servers.fieldlab(yaml);

  it('keeps the admin API closed when a reload drops the token but the listener stays public', async () => {
    const a = await up('a');
    const fl = await fieldlab(
      `admin: { listen: 0.0.0.0:0, token: secret }\nupstreams: { a: ${a.url} }\nroutes: [{ name: r, arms: { control: a } }]\n`,
    );
    const adminUrl = `http://127.0.0.1:${fl.app.adminPort()}`;
    fl.writeConfig(`admin: { listen: 127.0.0.1:0 }\nupstreams: { a: ${a.url} }\nroutes: [{ name: r, arms: { control: a } }]\n`);
    const r = await fl.app.reload('test');
    expect(r.ok).toBe(true);
    expect(r.restartRequired).toContain('admin.listen');
    const res = await request(`${adminUrl}/config`);
    expect(res.statusCode).toBe(401);
    await res.body.text();
    expect((await request(`${adminUrl}/healthz`)).statusCode).toBe(200);
  });
});
