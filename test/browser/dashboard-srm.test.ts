// The SRM alarm on the dashboard, in Debian's Chromium: a real Fieldlab runs a 50/50 experiment in
// front of a control and a broken variant that cuts the connection for 40% of its users before
// answering, so those users are never exposed and the variant's share of units falls short of its
// weight. The overview's route row, the route's alarms and its experiment panel all show the
// sample-ratio mismatch; a healthy route next to it shows none.
import type { Browser, Page } from 'playwright-core';
import { Pool } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../src/routing/hash.js';
import { launchChromium } from '../helpers/chromium.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

describe('SRM alarm on the dashboard in Chromium', () => {
  let control: TestUpstream, variant: TestUpstream, fl: TestFieldlab, browser: Browser, page: Page, pool: Pool;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    control = await startUpstream('control', (_req, res) => res.end('v1'));
    variant = await startUpstream('variant', (req, res) => {
      if (bucketOf('drop', String(req.headers['x-user'])) < 4000) return req.socket.destroy();
      res.end('v2');
    });
    const route = (name: string, path: string, arm: string) => `
  - name: ${name}
    match: { path: ${path} }
    arms: { control: control, variant: ${arm} }
    split: { variant: 50 }
    sticky: [header:x-user]
    experiment: { goals: [] }`;
    fl = await startFieldlab(`
upstreams: { control: ${control.url}, variant: ${variant.url} }
routes:${route('product', '/product/*', 'variant')}${route('healthy', '/healthy/*', 'control')}
`);
    pool = new Pool(fl.url, { connections: 8 });
    const users = Array.from({ length: 800 }, (_, i) => `user-${i}`);
    for (let i = 0; i < users.length; i += 25) {
      await Promise.all(
        users.slice(i, i + 25).flatMap((u) =>
          ['/product/1', '/healthy/1'].map(async (path) => {
            const res = await pool.request({ path, method: 'GET', headers: { 'x-user': u } }).catch(() => undefined);
            await res?.body.text();
          }),
        ),
      );
    }
    await fl.app.flushExperiments();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await pool?.close();
    await fl?.close();
    await control?.close();
    await variant?.close();
  });

  it('shows the mismatch on the overview, for the broken route only', async () => {
    await page.goto(`${fl.adminUrl}/`);
    const broken = page.locator('#routes tr[data-route="product"] .alarm[data-kind="srm"]');
    await broken.waitFor({ timeout: 10_000 });
    expect(await broken.innerText()).toContain('sample-ratio mismatch');
    expect(await page.locator('#routes tr[data-route="healthy"] .alarm[data-kind="srm"]').count()).toBe(0);
  });

  it('shows it on the route: in its alarms and in the experiment panel’s diagnostics', async () => {
    await page.goto(`${fl.adminUrl}/?route=product`);
    const panel = page.locator('#experiment');
    await page.waitForSelector('#experiment[data-state="alarm"]', { timeout: 10_000 });
    const srm = panel.locator('li[data-diag="srm"]');
    expect(await srm.getAttribute('data-alarm')).toBe('1');
    expect(await srm.innerText()).toContain('MISMATCH');
    expect(await page.locator('#route-alarms .alarm[data-kind="srm"]').count()).toBe(1);

    await page.goto(`${fl.adminUrl}/?route=healthy`);
    await page.waitForSelector('#experiment:not([data-state="loading"])', { timeout: 10_000 });
    expect(await page.locator('#experiment li[data-diag="srm"]').getAttribute('data-alarm')).toBe('0');
    expect(pageErrors).toEqual([]);
  });
});
