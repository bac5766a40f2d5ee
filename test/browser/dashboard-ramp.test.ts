// The fault ramp on the dashboard's route page, in Debian's Chromium: a real Fieldlab with a delay
// ramp on a real upstream; after its first step passes the page shows the judged step and the level
// in force; after the kill switch it shows the ramp done (killed) with its breaking point. The
// overview page has no ramp section, and the page throws no script error.
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

describe('the fault ramp on the dashboard in Chromium', () => {
  let shop: TestUpstream, fl: TestFieldlab, browser: Browser, page: Page;
  const pageErrors: string[] = [];
  beforeAll(async () => {
    shop = await startUpstream('shop');
    fl = await startFieldlab(`
upstreams: { shop: ${shop.url} }
routes:
  - name: shop
    match: { path: /shop/* }
    arms: { control: shop }
    sticky: [header:x-user]
    fault:
      ramp: { delays: [10ms, 20ms], percent: 50, dwell: 1ms, minUnits: 30 }
`);
    browser = await launchChromium();
    page = await browser.newPage();
    page.on('pageerror', (e) => pageErrors.push(String(e)));
  });
  afterAll(async () => {
    await browser?.close();
    await fl?.close();
    await shop?.close();
  });
  const ramp = async () =>
    ((await (await request(`${fl.adminUrl}/status?route=shop`)).body.json()) as { ramps: { step: number; phase: string }[] }).ramps[0]!;

  it('shows the passed step and the level in force, then the stopped ramp with its breaking point', async () => {
    // Units until the first step passes, then none: the second step stays running for the page.
    for (let i = 0; i < 2_000 && (await ramp()).step === 0; i++) {
      const res = await request(`${fl.url}/shop/x`, { headers: { 'x-user': `u${i}` } });
      await res.body.text();
    }
    expect(await ramp()).toMatchObject({ step: 1, phase: 'running' });
    await page.goto(`${fl.adminUrl}/?route=shop`);
    const section = page.locator('#ramp[data-phase="running"]');
    await section.waitFor({ timeout: 10_000 });
    expect(await section.locator('.ramp-state').innerText()).toContain('step 2 of 2: 20ms on 50% of units');
    const safe = section.locator('tr[data-verdict="safe"]');
    expect(await safe.count()).toBe(1);
    expect(await safe.innerText()).toContain('10ms');
    expect(await section.locator('tr[data-verdict="now"]').count()).toBe(1);

    const off = await request(`${fl.adminUrl}/faults/off`, { method: 'POST' });
    await off.body.text();
    expect(off.statusCode).toBe(200);
    await waitFor(async () => (await ramp()).phase === 'done');
    await page.goto(`${fl.adminUrl}/?route=shop`);
    await page.locator('#ramp[data-phase="done"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('#ramp .ramp-state').innerText()).toContain('done (killed)');
    expect(await page.locator('#ramp-breaking-point').innerText()).toContain('last safe 10ms, first harmful none');
    expect(await page.locator('#ramp tr[data-verdict="stopped"]').innerText()).toContain('20ms');

    await page.goto(`${fl.adminUrl}/`);
    await page.locator('#routes').waitFor();
    expect(await page.locator('#ramp').count()).toBe(0);
    expect(pageErrors).toEqual([]);
    await (await request(`${fl.adminUrl}/faults/on`, { method: 'POST' })).body.text();
  });
});
