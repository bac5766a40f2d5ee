// Trace links and the holdback, in Debian's Chromium: a real Fieldlab with `admin.traceUrl` mirrors a
// route to a dark build that answers differently, so the diff report's examples carry the trace ids
// the requests sent — each must link into the tracing UI. A second route is promoted with a 10%
// holdback: the dashboard's overview and route page show it held, then released (the engine's
// clock is driven past holdbackFor) without a reload. A third route's upstream answers 503: the
// route page's trace exemplars show each failure with the trace id Fieldlab's own traceparent
// carried to that upstream, linked to the template, and a new failure arrives live over SSE.
import { randomBytes } from 'node:crypto';
import type { Browser, Page } from 'playwright-core';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium } from '../helpers/chromium.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

describe('trace links and holdback on the admin pages in Chromium', () => {
  let control: TestUpstream, dark: TestUpstream, failing: TestUpstream, otlp: TestUpstream;
  let fl: TestFieldlab, browser: Browser, page: Page;
  /** Trace ids of the traceparent headers the failing upstream received (Fieldlab's, not a client's). */
  const upstreamTraceIds: string[] = [];
  const traceIds: string[] = [];
  const pageErrors: string[] = [];

  beforeAll(async () => {
    const answer = (total: number) => (_req: unknown, res: import('node:http').ServerResponse) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ total }));
    };
    control = await startUpstream('control', answer(15));
    dark = await startUpstream('dark', answer(16.5));
    failing = await startUpstream('failing', (req, res) => {
      upstreamTraceIds.push(/^00-([0-9a-f]{32})-/.exec(String(req.headers.traceparent))?.[1] ?? 'none');
      res.writeHead(503, { 'content-type': 'text/plain' });
      res.end('down');
    });
    otlp = await startUpstream('otlp'); // the span exporter's collector (spans are not inspected here)
    fl = await startFieldlab(`
admin: { listen: 127.0.0.1:0, traceUrl: "https://jaeger.example/trace/{traceId}?uiEmbed=v0" }
tracing: { endpoint: ${otlp.url}/v1/traces }
upstreams: { control: ${control.url}, dark: ${dark.url}, failing: ${failing.url} }
routes:
  - name: orders
    match: { path: /orders/:id }
    arms: { control: failing }
  - name: api
    match: { path: /api/* }
    arms: { control: control }
    shadow: [{ to: dark }]
  - name: checkout
    match: { path: /buy/* }
    arms: { control: control, variant: dark }
    sticky: [header:x-user]
    rollout: { steps: [50, 100], minBake: 1h, holdback: 10%, holdbackFor: 1h }
`);
    for (let i = 0; i < 12; i++) {
      const traceId = randomBytes(16).toString('hex');
      traceIds.push(traceId);
      const res = await request(`${fl.url}/api/carts/${i % 3}`, {
        headers: { traceparent: `00-${traceId}-${randomBytes(8).toString('hex')}-01` },
      });
      await res.body.text();
    }
    for (let i = 0; i < 3; i++) {
      // Exemplar times are milliseconds estimated from the arrival's Date.now() (up to 1 ms early):
      // failures under 2 ms apart may be listed in either order, so these are spaced.
      if (i > 0) await new Promise((r) => setTimeout(r, 5));
      const res = await request(`${fl.url}/orders/${40 + i}?token=sekrit`, { headers: { authorization: 'Bearer sekrit' } });
      expect(res.statusCode).toBe(503);
      await res.body.text();
    }
    await waitFor(() => fl.app.mirrorStats().compare.compared >= 12);
    await fl.app.flushDiffs();
    const promoted = await request(`${fl.adminUrl}/routes/checkout/promote`, { method: 'POST', headers: { 'x-fieldlab-actor': 'alice' } });
    expect(promoted.statusCode).toBe(200);
    await promoted.body.text();
    browser = await launchChromium();
    page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
    page.on('pageerror', (err) => pageErrors.push(err.message));
  });

  afterAll(async () => {
    await browser?.close();
    await fl?.close();
    await control?.close();
    await dark?.close();
    await failing?.close();
    await otlp?.close();
  });

  it('links every example trace id of the diff report to admin.traceUrl, and keeps the copy button', async () => {
    expect((await page.goto(`${fl.adminUrl}/diffs`))?.status()).toBe(200);
    const links = page.locator('article.example dd a.trace');
    expect(await links.count()).toBeGreaterThan(0);
    for (const a of await links.all()) {
      const id = (await a.locator('code[data-trace-id]').textContent()) ?? '';
      expect(traceIds).toContain(id);
      expect(await a.getAttribute('href')).toBe(`https://jaeger.example/trace/${id}?uiEmbed=v0`);
      expect(await a.getAttribute('rel')).toBe('noopener noreferrer');
    }
    expect(await page.locator('article.example dd button.copy').count()).toBeGreaterThan(0);
  });

  it('shows the holdback held on the overview and the route page, then released live', async () => {
    expect((await page.goto(`${fl.adminUrl}/`))?.status()).toBe(200);
    const row = page.locator('#routes tr[data-route="checkout"] .holdback');
    await row.waitFor();
    expect(await row.getAttribute('data-holdback')).toBe('held');
    expect(await row.getAttribute('data-percent')).toBe('10');
    expect(await row.innerText()).toMatch(/^10% of units held on control until \d{4}-/);
    expect(await page.locator('#routes tr[data-route="api"] .holdback').count()).toBe(0);

    await page.goto(`${fl.adminUrl}/?route=checkout`);
    const held = page.locator('#variants article[data-arm="variant"] .holdback');
    await held.waitFor();
    expect(await held.getAttribute('data-holdback')).toBe('held');
    // The holdback period ends (engine clock driven past holdbackFor): the page updates over SSE.
    const route = fl.app
      .guardrails()
      .status()
      .find((r) => r.route === 'checkout')!;
    const endsAt = route.variants[0]!.holdback!.endsAt!;
    expect(
      fl.app
        .guardrails()
        .tick(endsAt + 1000)
        .map((d) => d.action),
    ).toEqual(['release']);
    await page.locator('#variants .holdback[data-holdback="released"]').waitFor({ timeout: 5000 });
    expect(await page.locator('#variants .holdback').getAttribute('data-released-at')).toMatch(/^\d+$/);
    expect(await page.locator('#variants .holdback').innerText()).toMatch(/^holdback of 10% released \d{4}-/);
    expect(pageErrors).toEqual([]);
  });

  it('shows each 5xx on the route page with the trace id Fieldlab sent upstream, linked to admin.traceUrl, live', async () => {
    expect(upstreamTraceIds).toHaveLength(3);
    expect(new Set(upstreamTraceIds).size).toBe(3);
    expect(upstreamTraceIds.every((id) => /^[0-9a-f]{32}$/.test(id))).toBe(true);
    expect((await page.goto(`${fl.adminUrl}/?route=orders`))?.status()).toBe(200);
    const rows = page.locator('#exemplars article[data-arm="control"] tr.exemplar[data-kind="error"]');
    await rows.first().waitFor();
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-trace-id')))).toEqual([...upstreamTraceIds].reverse());
    for (const id of upstreamTraceIds) {
      const row = page.locator(`#exemplars tr.exemplar[data-kind="error"][data-trace-id="${id}"]`);
      expect(await row.getAttribute('data-status')).toBe('503');
      expect(await row.locator('a.trace').getAttribute('href')).toBe(`https://jaeger.example/trace/${id}?uiEmbed=v0`);
      expect(await row.locator('a.trace').getAttribute('rel')).toBe('noopener noreferrer');
      expect(await row.locator('button.copy').getAttribute('data-copy')).toBe(id);
      expect(await row.innerText()).toContain('GET /orders/:id');
    }
    // Only the id of a request: neither its own path, its query nor its headers reach the page.
    expect(await page.locator('#exemplars').innerText()).not.toMatch(/sekrit|\/orders\/4\d/);
    // A new failure while the page is open arrives over the event stream, newest first.
    const res = await request(`${fl.url}/orders/7`);
    expect(res.statusCode).toBe(503);
    await res.body.text();
    const newest = upstreamTraceIds[3]!;
    await page.locator(`#exemplars tr.exemplar[data-kind="error"][data-trace-id="${newest}"]`).waitFor({ timeout: 5000 });
    expect(await rows.first().getAttribute('data-trace-id')).toBe(newest);
    // The same data in the route JSON the page reads.
    const json = await request(`${fl.adminUrl}/dashboard/route.json?route=orders`);
    const body = (await json.body.json()) as { exemplars: { arm: string; errors: { traceId: string; href: string }[] }[] };
    expect(body.exemplars[0]!.errors[0]).toMatchObject({ traceId: newest, href: `https://jaeger.example/trace/${newest}?uiEmbed=v0` });
    expect(pageErrors).toEqual([]);
  });
});
