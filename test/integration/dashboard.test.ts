// The dashboard through a real Fieldlab: the page and its assets are reads like every other admin
// read, and the live series counts the real requests of each arm, second by second.
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { useServers } from '../helpers/servers.js';

describe('dashboard routes', () => {
  const s = useServers();
  const READ = 'dash-read-token';

  it('serves the page and its assets to a reader only, and the live series of real requests', async () => {
    const control = await s.upstream('control');
    const v2 = await s.upstream('v2', (_req, res) => {
      res.statusCode = 503;
      res.end();
    });
    const fl = await s.fieldlab(`
admin: { listen: 127.0.0.1:0, readToken: ${READ}, writeToken: dash-write-token }
upstreams: { control: ${control.url}, v2: ${v2.url} }
routes:
  - name: checkout
    arms: { control: control, v2: v2 }
    split: { v2: 50 }
    sticky: [header:x-user-id]
`);
    const auth = { authorization: `Bearer ${READ}` };
    expect((await request(`${fl.adminUrl}/`)).statusCode).toBe(401);
    const browser = await request(`${fl.adminUrl}/?route=checkout`, { headers: { accept: 'text/html' } });
    expect(browser.statusCode).toBe(303);
    expect(browser.headers.location).toBe('/login?next=%2F%3Froute%3Dcheckout');
    await browser.body.text();

    const page = await request(`${fl.adminUrl}/?route=checkout`, { headers: auth });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const html = await page.body.text();
    const js = /<script src="([^"]+)"/.exec(html)![1]!;
    const css = /<link rel="stylesheet" href="([^"]+)"/.exec(html)![1]!;
    for (const [url, type] of [
      [js, 'text/javascript'],
      [css, 'text/css'],
    ] as const) {
      expect((await request(`${fl.adminUrl}${url}`)).statusCode).toBe(401);
      const res = await request(`${fl.adminUrl}${url}`, { headers: auth });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toContain(type);
      expect((await res.body.text()).length).toBeGreaterThan(1000);
    }
    const missing = await request(`${fl.adminUrl}/?route=nope`, { headers: auth });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-fieldlab-error']).toBe('FL_ROUTE_NOT_FOUND');
    await missing.body.text();

    const since = Math.floor(Date.now() / 1000);
    for (let i = 0; i < 40; i++) await (await request(fl.url, { headers: { 'x-user-id': `u${i}` } })).body.text();
    await new Promise((r) => setTimeout(r, 1050 - (Date.now() % 1000))); // the second closes
    const live = (await (
      await request(`${fl.adminUrl}/dashboard/live.json?route=checkout&since=${since}`, { headers: auth })
    ).body.json()) as {
      arms: Record<string, { requests: number[]; errors: number[]; p50Ms: (number | null)[] }>;
    };
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const control40 = sum(live.arms.control?.requests ?? []);
    const v240 = sum(live.arms.v2?.requests ?? []);
    expect(control40 + v240).toBe(40);
    expect(control40).toBeGreaterThan(0);
    expect(sum(live.arms.v2!.errors)).toBe(v240);
    expect(sum(live.arms.control!.errors)).toBe(0);
    expect(live.arms.control!.p50Ms.some((p) => p !== null && p > 0)).toBe(true);
  });
});
