// The release-health dashboard in Debian's Chromium: a real Fieldlab with read and write tokens in
// front of a control and a slower variant under steady traffic. The browser signs in through the
// login form, sees the overview, opens the route, and the assertions are DOM queries: charts drawn
// from live data, a rollback through the button (with its confirmation and the write token), a
// rollback through the API arriving as a marker over the event stream, escaped reasons, page weight,
// the time to draw an hour of per-second data, and the phone layout.
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const READ = 'read-token-for-the-test';
const WRITE = 'write-token-for-the-test';
// The README's screenshot is refreshed only when asked (a test run must not dirty the work tree).
const SCREENSHOT = process.env.FIELDLAB_SCREENSHOTS
  ? join(dirname(fileURLToPath(import.meta.url)), 'screenshots', 'dashboard.png')
  : '/tmp/fieldlab-dashboard.png';

async function until(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<number> {
  const start = Date.now();
  while (!(await check())) {
    if (Date.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return Date.now() - start;
}

describe('admin dashboard in Chromium', () => {
  let control: TestUpstream, variant: TestUpstream, fl: TestFieldlab, browser: Browser, page: Page, pool: Pool;
  let traffic: NodeJS.Timeout | undefined;
  const pageErrors: string[] = [];
  const assetBytes = new Map<string, number>();

  beforeAll(async () => {
    control = await startUpstream('control', (_req, res) => res.end('ok'));
    // The variant is slower and fails now and then: its lines must differ on the charts.
    let n = 0;
    variant = await startUpstream('variant', (_req, res) => {
      n++;
      setTimeout(() => {
        res.statusCode = n % 25 === 0 ? 500 : 200;
        res.end('ok');
      }, 5);
    });
    fl = await startFieldlab(`
admin: { listen: 127.0.0.1:0, readToken: ${READ}, writeToken: ${WRITE} }
upstreams: { control: ${control.url}, variant: ${variant.url} }
routes:
  - name: checkout
    arms: { control: control, variant: variant }
    sticky: [header:x-user-id]
    rollout: { steps: [20, 50], minBake: 1h }
`);
    pool = new Pool(fl.url, { connections: 4 });
    let user = 0;
    const burst = () =>
      Promise.all(
        Array.from({ length: 8 }, async () => {
          const res = await pool.request({ path: '/buy', method: 'GET', headers: { 'x-user-id': `u${user++}` } });
          await res.body.text();
        }),
      ).catch(() => undefined);
    traffic = setInterval(() => void burst(), 100);
    await new Promise((r) => setTimeout(r, 2500)); // a few closed seconds of data

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('response', async (res) => {
      // /experiments.json answers 404 until experiments exist: the page says "no experiment" then.
      if (res.status() >= 400 && !res.url().includes('/experiments.json')) pageErrors.push(`${res.status()} ${res.url()}`);
      const type = res.request().resourceType();
      if (type === 'script' || type === 'stylesheet') assetBytes.set(res.url(), (await res.body()).length);
    });
  });

  afterAll(async () => {
    if (traffic) clearInterval(traffic);
    await browser?.close();
    await pool?.close();
    await fl?.close();
    await control?.close();
    await variant?.close();
  });

  it('asks a browser to sign in, then shows the overview of routes', async () => {
    await page.goto(`${fl.adminUrl}/`);
    expect(new URL(page.url()).pathname).toBe('/login');
    await page.locator('input[name=token]').fill(READ);
    await page.locator('button[type=submit]').click();
    await page.waitForURL(`${fl.adminUrl}/`);
    const row = page.locator('#routes tr[data-route="checkout"]');
    await row.waitFor();
    expect(await row.locator('[data-arm="variant"]').innerText()).toContain('20%');
    expect(await row.innerText()).toContain('progressing');
    await until(async () => (await page.locator('#live').getAttribute('data-state')) === 'live', 'the event stream');
  });

  it('draws the route: live charts with data from every arm, per-second and at most 2 s old', async () => {
    await page.locator('#routes a', { hasText: 'checkout' }).click();
    await page.waitForURL(/\?route=checkout$/);
    expect(await page.locator('#route-name').innerText()).toBe('checkout');
    for (const metric of ['rps', 'err', 'p50', 'p99']) await page.locator(`#charts .chart[data-metric="${metric}"] canvas`).waitFor();
    await until(async () => Number(await page.locator('#charts').getAttribute('data-points')) > 0, 'chart data');
    expect(await page.locator('#charts .chart[data-metric="rps"] .u-legend').innerText()).toContain('variant');
    // What the step waits for, and the evidence against its threshold.
    expect(await page.locator('#variants article[data-arm="variant"] li[data-what="bake"]').count()).toBe(1);
    expect(await page.locator('#variants article[data-arm="variant"] table.evidence tbody tr').count()).toBeGreaterThan(0);
    expect(await page.locator('a[href="/diffs?route=checkout"]').count()).toBe(1);
    // Each event's newest second, as it arrives: how old it is on screen.
    const ages: number[] = [];
    for (let i = 0; i < 4; i++) {
      const before = await page.locator('#live').getAttribute('data-age-ms');
      await until(async () => (await page.locator('#live').getAttribute('data-age-ms')) !== before, 'the next second');
      ages.push(Number(await page.locator('#live').getAttribute('data-age-ms')));
    }
    console.log(`dashboard data age on arrival (ms): ${ages.join(', ')}`);
    // The target is ≤ 2 s (README reports ~0.1 s); the bound is loose because the machine is shared.
    expect(Math.max(...ages)).toBeLessThan(5000);
    // No experiment configured (or no experiments endpoint): said so, not left loading.
    await until(async () => (await page.locator('#experiment').getAttribute('data-state')) === 'none', 'the experiment panel');
  });

  it('rolls back with the button only after confirming, with a reason and the write token', async () => {
    await page.locator('#actions button[data-action="rollback"]').click();
    const dialog = page.locator('dialog#confirm');
    expect(await dialog.isVisible()).toBe(true);
    await dialog.locator('button[value="cancel"]').click();
    expect(await dialog.isVisible()).toBe(false);
    expect(await page.locator('#action-result').innerText()).toBe('');
    expect(
      (await (await request(`${fl.adminUrl}/status`, { headers: { authorization: `Bearer ${READ}` } })).body.json()) as object,
    ).toMatchObject({
      routes: [{ variants: [{ phase: 'progressing' }] }],
    });

    await page.locator('#actions button[data-action="rollback"]').click();
    await page.locator('#confirm-reason').fill('checkout errors <b>up</b>');
    await page.locator('#confirm-token').fill(WRITE);
    await page.locator('#confirm-ok').click();
    await until(async () => (await page.locator('#action-result').getAttribute('data-status')) === '200', 'the rollback answer');
    const s = (await (await request(`${fl.adminUrl}/status`, { headers: { authorization: `Bearer ${READ}` } })).body.json()) as {
      routes: { variants: { phase: string; percent: number }[] }[];
      decisions: { action: string; actor: string; note?: string }[];
    };
    expect(s.routes[0]!.variants[0]).toMatchObject({ phase: 'rolled-back', percent: 0 });
    expect(s.decisions[0]).toMatchObject({ action: 'manual-rollback', actor: 'dashboard', note: 'checkout errors <b>up</b>' });
    await page.locator('#decisions li[data-action="manual-rollback"]').first().waitFor();
    await until(
      async () => (await page.locator('#arms tr[data-arm="variant"] td[data-percent]').getAttribute('data-percent')) === '0',
      'the new weight',
    );
  });

  it('shows a rollback made through the API as a chart marker at the next tick, its reason as text', async () => {
    const auth = { authorization: `Bearer ${WRITE}` };
    const resumed = await request(`${fl.adminUrl}/routes/checkout/resume?force=1`, { method: 'POST', headers: auth });
    expect(resumed.statusCode).toBe(200);
    await resumed.body.text();
    await until(async () => (await page.locator('#decisions li[data-action="resume"]').count()) === 1, 'the resume');
    const before = await page.locator('#decisions li[data-action="manual-rollback"]').count();
    const reason = '<img src=x onerror="window.__xss=1">';
    const start = Date.now();
    const res = await request(`${fl.adminUrl}/routes/checkout/rollback?reason=${encodeURIComponent(reason)}`, {
      method: 'POST',
      headers: auth,
    });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await until(
      async () => (await page.locator('#decisions li[data-action="manual-rollback"]').count()) > before,
      'the API rollback on the page',
    );
    const ms = Date.now() - start;
    console.log(`API rollback → marker on the page: ${ms} ms`);
    // The target is ≤ 2 s (README reports ~1 s: the next tick); loose for a loaded machine.
    expect(ms).toBeLessThan(5000);
    expect(Number(await page.locator('#charts .chart[data-metric="rps"]').getAttribute('data-markers'))).toBeGreaterThanOrEqual(3);
    expect(await page.locator('#decisions img').count()).toBe(0);
    expect(await page.evaluate(() => (globalThis as unknown as { __xss?: number }).__xss)).toBeUndefined();
  });

  it('draws an hour of per-second data fast, and weighs under 150 KB of JS and CSS', async () => {
    const runs: number[] = [];
    for (let i = 0; i < 5; i++) {
      runs.push(
        await page.evaluate(() =>
          (globalThis as unknown as { fieldlabDashboard: { bench(s: number, a: number): Promise<number> } }).fieldlabDashboard.bench(
            3600,
            2,
          ),
        ),
      );
    }
    runs.sort((a, b) => a - b);
    const bytes = [...assetBytes.values()].reduce((a, b) => a + b, 0);
    console.log(
      `draw 4 charts × 2 arms × 3600 s: median ${runs[2]!.toFixed(1)} ms (runs ${runs.map((r) => r.toFixed(1)).join(', ')}); JS+CSS ${bytes} bytes`,
    );
    // A generous bound (the README reports the measured number): the machine is shared.
    expect(runs[2]!).toBeLessThan(1000);
    expect(assetBytes.size).toBe(2);
    expect(bytes).toBeLessThan(150 * 1024);
  });

  it('switches to per-minute history beyond the live hour, and back', async () => {
    await fl.app.flushRollups(true);
    await page.locator('#range input[value="21600"]').check();
    await until(async () => (await page.locator('#charts').getAttribute('data-source')) === 'rollups', 'the per-minute data');
    expect(Number(await page.locator('#charts').getAttribute('data-points'))).toBeGreaterThan(0);
    await page.locator('#range input[value="900"]').check();
    await until(async () => (await page.locator('#charts').getAttribute('data-source')) === 'live', 'the live data again');
  });

  it('closes its stream while the tab is hidden and fills the gap when shown again', async () => {
    type Dash = { fieldlabDashboard: { seconds(): { first: number; last: number; count: number } } };
    const seconds = () => page.evaluate(() => (globalThis as unknown as Dash).fieldlabDashboard.seconds());
    const setHidden = (hidden: boolean) =>
      page.evaluate((h) => {
        const doc = (globalThis as unknown as { document: { dispatchEvent(e: unknown): void } }).document;
        Object.defineProperty(doc, 'hidden', { configurable: true, get: () => h });
        doc.dispatchEvent(new (globalThis as unknown as { Event: new (t: string) => unknown }).Event('visibilitychange'));
      }, hidden);
    await setHidden(true);
    expect(await page.locator('#live').getAttribute('data-state')).toBe('paused');
    const before = await seconds();
    await new Promise((r) => setTimeout(r, 2500));
    expect((await seconds()).last).toBe(before.last); // nothing arrives while hidden
    await setHidden(false);
    await until(async () => (await seconds()).last >= before.last + 2, 'the missed seconds');
    const after = await seconds();
    expect(after.last - after.first + 1).toBe(after.count); // no gap, no second twice
  });

  it('fits a phone, and reads well (screenshot)', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    await new Promise((r) => setTimeout(r, 300));
    const overflow = await page.evaluate(() => {
      const g = globalThis as unknown as { document: { documentElement: { scrollWidth: number } }; innerWidth: number };
      return g.document.documentElement.scrollWidth - g.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await page.setViewportSize({ width: 1280, height: 1000 });
    await new Promise((r) => setTimeout(r, 1200));
    mkdirSync(dirname(SCREENSHOT), { recursive: true });
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    expect(pageErrors).toEqual([]);
  });
});
