// The SRM alarm on the dashboard, in Debian's Chromium: a real Fieldlab runs a 50/50 experiment in
// front of a control and a broken variant that cuts the connection for 40% of its users before
// answering, so those users are never exposed and the variant's share of units falls short of its
// weight. The overview's route row, the route's alarms and its experiment panel all show the
// sample-ratio mismatch; a healthy route next to it shows none.
import type { Browser, Page } from 'playwright-core';
import { Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../src/routing/hash.js';
import { launchChromium } from '../helpers/chromium.js';
import { waitFor } from '../helpers/wait.js';
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

  /** Waits for the page; on a timeout the error also says what the API answered then (for a flake's post-mortem). */
  async function explained<T>(wait: Promise<T>): Promise<T> {
    try {
      return await wait;
    } catch (err) {
      const now = await request(`${fl.adminUrl}/experiments.json?route=product`)
        .then((r) => r.body.text())
        .catch((e: unknown) => `(no answer: ${String(e)})`);
      throw new Error(
        `${(err as Error).message}\n/experiments.json?route=product now: ${now.slice(0, 3000)}\npage errors: ${pageErrors.join('; ')}`,
      );
    }
  }

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
    // 20 s: a hang guard over the page's retry after a failed load (2 s), not a speed limit.
    await explained(broken.waitFor({ timeout: 20_000 }));
    expect(await broken.innerText()).toContain('sample-ratio mismatch');
    expect(await page.locator('#routes tr[data-route="healthy"] .alarm[data-kind="srm"]').count()).toBe(0);
  });

  it('shows it on the route: in its alarms and in the experiment panel’s diagnostics', async () => {
    await page.goto(`${fl.adminUrl}/?route=product`);
    const panel = page.locator('#experiment');
    await explained(page.waitForSelector('#experiment[data-state="alarm"]', { timeout: 20_000 }));
    const srm = panel.locator('li[data-diag="srm"]');
    expect(await srm.getAttribute('data-alarm')).toBe('1');
    expect(await srm.innerText()).toContain('MISMATCH');
    expect(await page.locator('#route-alarms .alarm[data-kind="srm"]').count()).toBe(1);

    await page.goto(`${fl.adminUrl}/?route=healthy`);
    await page.waitForSelector('#experiment:not([data-state="loading"])', { timeout: 10_000 });
    expect(await page.locator('#experiment li[data-diag="srm"]').getAttribute('data-alarm')).toBe('0');
    expect(pageErrors).toEqual([]);
  });
  it('tries a failed results load again within seconds, not at the next 15 s refresh', async () => {
    const retried = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    try {
      let refused = 0;
      // The first answer fails as a stalled store would, after a while; the next ones go through.
      await retried.route('**/experiments.json*', async (r) => {
        if (refused++ > 0) return r.continue();
        await new Promise((done) => setTimeout(done, 300));
        await r.fulfill({ status: 503, body: '{}' });
      });
      // The page's clock is ours: at most 10 s pass for it, so the 15 s refresh can't be what brings the alarm.
      // Frozen until runFor: installed clocks otherwise tick with real time.
      const t0 = Date.now();
      await retried.clock.install({ time: t0 });
      await retried.clock.pauseAt(t0 + 100);
      await retried.goto(`${fl.adminUrl}/`);
      await waitFor(() => refused >= 1, 20_000);
      // In steps, with real time between them: the page sets its retry timer only once the failed answer
      // is in, and a clock run before that would pass the timer by.
      for (let ms = 0; ms < 10_000 && refused < 2; ms += 500) {
        await retried.clock.runFor(500);
        await new Promise((done) => setTimeout(done, 100));
      }
      await retried.locator('#routes tr[data-route="product"] .alarm[data-kind="srm"]').waitFor({ timeout: 20_000 });
      expect(refused).toBe(2);
    } finally {
      await retried.close();
    }
  });
});
