// Issue 9 item 1: a flood of distinct paths through a mirrored route, then GET /diffs, while an
// ordinary proxied request is in flight. The endpoint cap folds the flood into a counted "(other)"
// bucket; the report is one bounded page; and the report is built in the store's worker thread, so
// the proxy keeps answering while it runs (asserted by ordering and by where the time was spent,
// not by a wall-clock threshold).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool, request } from 'undici';
import type { DiffReport } from '../../src/compare/report.js';
import { DELTA_BOUNDS, LATENCY_BOUNDS, emptyHistogram, observe } from '../../src/stats/histogram.js';
import { openStore } from '../../src/storage/open.js';
import { startFieldlab, startUpstream, tempDir, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const SEEDED = 6000; // endpoints stored before caps existed: a report over them is real work
const FLOOD = 400; // distinct word paths the endpoint templater does not collapse
const CAP = 20;

const words = (i: number) => {
  const w = (n: number) => String.fromCharCode(...[...n.toString(26).padStart(5, '0')].map((c) => 97 + Number.parseInt(c, 26)));
  return `/json/${w(i)}/${w(i * 7 + 3)}`;
};

/** Writes `n` endpoints of route flood → dark, as an older release without caps would have. */
async function seed(file: string, n: number): Promise<void> {
  const stores = await openStore(`sqlite:${file}`);
  const hour = Math.floor(Date.now() / 3_600_000) * 3_600_000;
  const lat = emptyHistogram(LATENCY_BOUNDS);
  observe(lat, LATENCY_BOUNDS, 5);
  const delta = emptyHistogram(DELTA_BOUNDS);
  observe(delta, DELTA_BOUNDS, 1);
  const scope = (endpoint: string) => ({ hour, route: 'flood', shadow: 'dark', endpoint });
  const eps = Array.from({ length: n }, (_, i) => `GET /old/${i}`);
  await stores.diffs.write({
    pairs: eps.map((e) => ({ ...scope(e), count: 1 })),
    fields: eps.map((e) => ({ ...scope(e), field: 'status', kind: 'same' as const, compared: 1, differed: 0 })),
    noise: [],
    statuses: eps.map((e) => ({ ...scope(e), primary: 200, candidate: 200, count: 1 })),
    latency: eps.map((e) => ({ ...scope(e), primary: lat, candidate: lat, delta })),
    examples: [],
    skips: [],
  });
  await stores.close();
}

describe('GET /diffs after a flood of distinct paths', () => {
  const tmp = tempDir();
  const file = join(tmp.dir, 'flood.db');
  let control: TestUpstream, dark: TestUpstream, fl: TestFieldlab;
  const api = (version: number) => (req: IncomingMessage, res: ServerResponse) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ path: req.url, version }));
  };

  beforeAll(async () => {
    [control, dark] = await Promise.all([startUpstream('control', api(1)), startUpstream('dark', api(2))]);
    await seed(file, SEEDED);
    fl = await startFieldlab(`
store: { url: "sqlite:${file}", maxEndpoints: ${CAP}, maxFields: ${CAP} }
upstreams: { control: ${control.url}, dark: ${dark.url} }
routes:
  - name: flood
    match: { path: /json/* }
    arms: { control: control }
    shadow: [{ to: dark, queue: ${FLOOD} }]
  - name: plain
    match: { path: /plain/* }
    arms: { control: control }
`);
    const pool = new Pool(fl.url, { connections: 16 });
    for (let i = 0; i < FLOOD; i += 50) {
      await Promise.all(
        Array.from({ length: 50 }, async (_, j) => (await pool.request({ path: words(i + j), method: 'GET' })).body.text()),
      );
    }
    await pool.close();
    for (let i = 0; i < 200 && fl.app.mirrorStats().dispatcher.completed < FLOOD; i++) await new Promise((r) => setTimeout(r, 25));
    await fl.app.flushDiffs();
  });
  afterAll(async () => {
    await fl?.close();
    await Promise.all([control?.close(), dark?.close()]);
    tmp.remove();
  });

  it('folds endpoints past the cap into a counted (other) bucket', async () => {
    const stats = fl.app.mirrorStats();
    expect(stats.dispatcher.completed).toBe(FLOOD);
    expect(stats.storage.overflow.endpoints).toBeGreaterThan(0);
    const rows = await fl.app.diffs().rows({ route: 'flood' });
    const flooded = rows.pairs.filter((p) => !p.endpoint.startsWith('GET /old/'));
    expect(flooded.length).toBe(CAP + 1); // the first CAP paths, then one bucket
    const other = flooded.find((p) => p.endpoint === '(other)');
    expect(other?.count).toBe(FLOOD - CAP);
    expect(flooded.reduce((s, p) => s + p.count, 0)).toBe(FLOOD); // nothing lost, everything counted
  });

  it('serves one bounded page of the report, naming the next page and the overflow', async () => {
    const res = await request(`${fl.adminUrl}/diffs.json?limit=10&fields=5`);
    expect(res.statusCode).toBe(200);
    const report = (await res.body.json()) as DiffReport;
    expect(report.endpoints).toHaveLength(10);
    expect(report.page).toMatchObject({ offset: 0, limit: 10, total: SEEDED + CAP + 1, next: 10 });
    expect(report.totals.overflowPairs).toBe(FLOOD - CAP);
    expect(report.endpoints[0]!.endpoint).toBe('(other)'); // most differing, most pairs: ranked first
    const last = (await (await request(`${fl.adminUrl}/diffs.json?offset=${SEEDED + CAP}&limit=10`)).body.json()) as DiffReport;
    expect(last.endpoints).toHaveLength(1);
    expect(last.page.next).toBeNull();
    const bad = await request(`${fl.adminUrl}/diffs.json?limit=lots`);
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['x-fieldlab-error']).toBe('FL_ADMIN_BAD_REQUEST');
    await bad.body.text();
  });

  it('keeps proxying while the page is built: the work runs in the store worker, not on the proxy loop', async () => {
    const before = fl.app.mirrorStats().store as { workerMs: number; maxMs: number };
    // A probe on the proxy's loop: the longest gap between its ticks is how long the loop was blocked.
    let last = performance.now();
    let maxGap = 0;
    const probe = setInterval(() => {
      const t = performance.now();
      maxGap = Math.max(maxGap, t - last);
      last = t;
    }, 1);
    let pageDone = false;
    const page = request(`${fl.adminUrl}/diffs`).then(async (r) => {
      const html = await r.body.text();
      pageDone = true;
      return { status: r.statusCode, html };
    });
    // Ordinary proxied requests, one after another, for as long as the page is being built.
    let servedDuring = 0;
    while (!pageDone) {
      const r = await request(`${fl.url}/plain/ping`);
      await r.body.text();
      expect(r.statusCode).toBe(200);
      if (!pageDone) servedDuring++;
    }
    const { status, html } = await page;
    clearInterval(probe);
    const after = fl.app.mirrorStats().store as { workerMs: number; maxMs: number };
    const workerMs = after.workerMs - before.workerMs;

    expect(status).toBe(200);
    // Bounded: the default page (50 endpoints), however many are stored; the overflow is shown.
    expect(html.match(/<section class="card endpoint"/g)).toHaveLength(50);
    expect(html).toContain(`data-total="${SEEDED + CAP + 1}"`);
    expect(html).toContain('rel="next"');
    expect(html).toContain('data-endpoint="(other)"');
    expect(html).toContain('t-overflow');
    expect(Buffer.byteLength(html)).toBeLessThan(2_000_000);
    // Off the loop: the report took real time in the worker, proxied requests were answered while
    // it ran, and the proxy loop's longest stall was shorter than the worker's time on the report
    // (on the loop, the stall would have been at least as long as the work).
    expect(workerMs).toBeGreaterThan(0);
    expect(servedDuring).toBeGreaterThan(0);
    expect(maxGap).toBeLessThan(after.maxMs);
  });
});
