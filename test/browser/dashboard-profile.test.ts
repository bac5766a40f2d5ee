// The experiment panel's dependency profile, in Debian's Chromium: two OTel-SDK-instrumented builds
// export their spans to Fieldlab's receiver; the variant calls `inventory` twice per request,
// control once. The route's page shows the operation with 2 calls per request for the variant and
// 1 for control, and nothing on the page throws.
import type { Browser } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtelService, type OtelService } from '../../src/demo/otel-service.js';
import { launchChromium } from '../helpers/chromium.js';
import { startFieldlab, type TestFieldlab } from '../helpers/servers.js';

describe('dependency profile on the dashboard in Chromium', () => {
  let fl: TestFieldlab, browser: Browser, services: OtelService[];

  beforeAll(async () => {
    const inventory = await startOtelService('inventory', (_c, res) => void res.end('{}'));
    const build = (calls: number) =>
      startOtelService('shop', async (c, res) => {
        for (let i = 0; i < calls; i++) await c.call(inventory.url, 'GET', `/items/${i + 1}`);
        res.end('{}');
      });
    const a = await build(1);
    const b = await build(2);
    services = [inventory, a, b];
    fl = await startFieldlab(`
tracing: { endpoint: http://127.0.0.1:9/v1/traces }
traces: { listen: 127.0.0.1:0 }
upstreams: { a: ${a.url}, b: ${b.url} }
routes:
  - name: shop
    match: { path: /shop/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    experiment: { goals: [] }
`);
    for (const s of services) s.connect(`http://127.0.0.1:${fl.app.tracesPort()}/v1/traces`);
    for (let i = 0; i < 30; i++) await (await request(`${fl.url}/shop/${i}`, { headers: { 'x-user': `u${i}` } })).body.dump();
    await Promise.all(services.map((s) => s.flush()));
    await fl.app.flushExperiments();
    await fl.app.traces()!.flush(true);
    browser = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await Promise.all((services ?? []).map((s) => s.close()));
    await fl?.close();
  });

  it('shows calls per request per arm in the experiment panel', async () => {
    const page = await browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (err) => errors.push(err.message));
    await page.goto(`${fl.adminUrl}/?route=shop`);
    await page.waitForSelector('#profile[data-state="ready"]', { timeout: 10_000 });
    const row = page.locator('#profile tr[data-op="inventory GET /items/:id"]');
    expect(await row.locator('td[data-arm="variant"]').getAttribute('data-calls')).toBe('2');
    expect(await row.locator('td[data-arm="control"]').getAttribute('data-calls')).toBe('1');
    expect(await row.locator('td[data-arm="variant"]').innerText()).toContain('2 [2, 2] calls');
    expect(errors).toEqual([]);
  });
});
