// The shadow-diff page in a real browser: real upstreams (a control and a dark launch with a
// deliberate regression), a real Fieldlab mirroring to it, then Debian's Chromium loads admin /diffs
// and the assertions are DOM queries on what a reviewer would see.
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const SCREENSHOT = '/tmp/fieldlab-diffs.png';

/** JSON answers: carts have a stable total and items and a volatile ts; `dark` breaks total and one price. */
function api(dark: boolean) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const id = Number(/\/(\d+)$/.exec(url)?.[1] ?? 0);
    let body: unknown;
    if (url.startsWith('/api/users/')) {
      body = { id, name: `user ${id}`, ...(dark ? { nickname: `u${id}` } : {}), ts: Date.now() + Math.random() };
    } else {
      const items = [
        { sku: `a-${id}`, price: 5 },
        { sku: `b-${id}`, price: dark ? 8 : 7 },
        { sku: `c-${id}`, price: 3 },
      ];
      // The regression: the dark build adds a service fee to every total.
      body = {
        id,
        currency: 'EUR',
        items,
        total: 15 + (dark ? 1.5 : 0),
        note: '<script>alert(1)</script>',
        ts: Date.now() + Math.random(),
      };
    }
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  };
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('admin /diffs in Chromium', () => {
  let control: TestUpstream, dark: TestUpstream, fl: TestFieldlab, browser: Browser, page: Page;
  const traceIds: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    control = await startUpstream('control', api(false));
    dark = await startUpstream('dark', api(true));
    fl = await startFieldlab(`
upstreams: { control: ${control.url}, dark: ${dark.url} }
routes:
  - name: api
    match: { path: /api/* }
    arms: { control: control }
    shadow: [{ to: dark }]
`);
    // Six carts ten times each (repeats are how the noise of ts is learned), and two users.
    const urls = [
      ...Array.from({ length: 60 }, (_, i) => `/api/carts/${(i % 6) + 1}`),
      ...Array.from({ length: 12 }, (_, i) => `/api/users/${(i % 2) + 1}`),
    ];
    for (const url of urls) {
      const traceId = randomBytes(16).toString('hex');
      traceIds.push(traceId);
      const res = await request(`${fl.url}${url}`, { headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` } });
      expect(res.statusCode).toBe(200);
      await res.body.text();
    }
    await until(() => {
      const s = fl.app.mirrorStats().compare;
      return s.compared + s.failed >= urls.length;
    }, 'every mirrored pair to be compared');
    await fl.app.flushDiffs();

    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
    page.on('dialog', (d) => {
      pageErrors.push(`dialog opened: ${d.message()}`);
      void d.dismiss();
    });
    const res = await page.goto(`${fl.adminUrl}/diffs`);
    expect(res?.status()).toBe(200);
  });

  afterAll(async () => {
    await browser?.close();
    await fl?.close();
    await control?.close();
    await dark?.close();
  });

  it('lists the regression as real under its templated endpoint, ranked first', async () => {
    const carts = page.locator('section.endpoint[data-endpoint="GET /api/carts/:id"]');
    await expect(carts.count()).resolves.toBe(1);
    const total = carts.locator('tr[data-field="body:$.total"]');
    expect(await total.getAttribute('data-verdict')).toBe('real');
    expect(await total.isVisible()).toBe(true);
    expect((await total.locator('.badge').innerText()).trim()).toBe('real');
    const price = carts.locator('tr[data-field="body:$.items[*].price"]');
    expect(await price.getAttribute('data-verdict')).toBe('real');
    // Ranked by real-difference rate: carts (100 %) before users (no real field).
    const ranking = await page.locator('#ranking tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-endpoint')));
    expect(ranking).toEqual(['GET /api/carts/:id', 'GET /api/users/:id']);
    expect(await page.locator('#totals').innerText()).toContain('72');
  });

  it('shows ts as noise, hidden until asked for', async () => {
    const carts = page.locator('section.endpoint[data-endpoint="GET /api/carts/:id"]');
    const ts = carts.locator('tr[data-field="body:$.ts"]');
    expect(await ts.getAttribute('data-verdict')).toBe('noise');
    expect(await page.locator('tr[data-field="body:$.ts"][data-verdict="real"]').count()).toBe(0);
    expect(await ts.isVisible()).toBe(false);
    await carts.locator('input.show-noise').check();
    expect(await ts.isVisible()).toBe(true);
    await carts.locator('input.show-noise').uncheck();
    // The field only the shadow sends has no noise observations: shown, caveated.
    const nickname = page.locator('section.endpoint[data-endpoint="GET /api/users/:id"] tr[data-field="body:$.nickname"]');
    expect(await nickname.getAttribute('data-verdict')).toBe('unmeasured');
  });

  it('filters endpoints as you type', async () => {
    const carts = page.locator('section.endpoint[data-endpoint="GET /api/carts/:id"]');
    await page.locator('#ep-filter').fill('users');
    expect(await carts.isVisible()).toBe(false);
    expect(await page.locator('section.endpoint[data-endpoint="GET /api/users/:id"]').isVisible()).toBe(true);
    await page.locator('#ep-filter').fill('');
    expect(await carts.isVisible()).toBe(true);
  });

  it('shows example pairs with trace ids and the differing paths marked, bodies escaped', async () => {
    const example = page.locator('section.endpoint[data-endpoint="GET /api/carts/:id"] article.example').first();
    expect(traceIds).toContain(await example.getAttribute('data-trace-id'));
    expect(await example.locator('code[data-trace-id]').innerText()).toMatch(/^[0-9a-f]{32}$/);
    for (const side of ['primary', 'shadow']) {
      const mark = example.locator(`pre[data-side="${side}"] mark.hl[data-path="body:$.total"]`);
      expect(await mark.isVisible()).toBe(true);
    }
    expect(await example.locator('pre[data-side="primary"] mark.hl[data-path="body:$.total"]').innerText()).toBe('"total": 15');
    expect(await example.locator('pre[data-side="shadow"] mark.hl[data-path="body:$.total"]').innerText()).toBe('"total": 16.5');
    // [*] marks the price of every item; only the one that changed gets the strong mark.
    expect(await example.locator('pre[data-side="shadow"] mark[data-path="body:$.items[*].price"]').count()).toBe(3);
    expect(await example.locator('pre[data-side="shadow"] mark.hl[data-path="body:$.items[*].price"]').innerText()).toBe('"price": 8');
    // The upstream's "<script>" is text on the page, never markup.
    expect(await example.locator('pre[data-side="primary"]').innerText()).toContain('<script>alert(1)</script>');
    expect(pageErrors).toEqual([]);
  });

  it('shows statuses and latency, and reads well (screenshot)', async () => {
    const carts = page.locator('section.endpoint[data-endpoint="GET /api/carts/:id"]');
    expect(await carts.locator('td[data-status="200-200"]').innerText()).toBe('60');
    expect(await carts.locator('svg.lat rect[data-side="primary"]').count()).toBe(3);
    expect(await carts.locator('svg.lat rect[data-side="delta"]').count()).toBe(3);
    expect(await page.locator('#skips').isVisible()).toBe(true);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
  });
});
