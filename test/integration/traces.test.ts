// Span-tree diffs end to end: real services instrumented with the OpenTelemetry SDK export over
// OTLP/HTTP to Fieldlab's receiver and call real downstream services on loopback. The dark build
// adds a call to `fraud` and is slower in `SELECT orders`; every build sometimes refreshes a cache.
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffReport, FieldReport } from '../../src/compare/report.js';
import { startFieldlab, type TestFieldlab } from '../helpers/servers.js';
import { startOtelService, type OtelService } from '../../src/demo/otel-service.js';
import { waitFor } from '../helpers/wait.js';

/** A loopback collector keeping every POST's raw bytes (what the pass-through must deliver unchanged). */
async function startRawCollector(): Promise<{
  url: string;
  bodies: { body: Buffer; headers: IncomingHttpHeaders }[];
  close(): Promise<void>;
}> {
  const bodies: { body: Buffer; headers: IncomingHttpHeaders }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      bodies.push({ body: Buffer.concat(chunks), headers: req.headers });
      res.end('{}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/traces`,
    bodies,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

const N = 60;

describe('span-tree diffs of a dark build', () => {
  let fl: TestFieldlab;
  let services: OtelService[];
  let collector: Awaited<ReturnType<typeof startRawCollector>>;
  let own: Awaited<ReturnType<typeof startRawCollector>>;
  let report: DiffReport;
  /** What each service's exporter sent, in order (the pass-through must forward exactly these). */
  const sent: Buffer[] = [];

  beforeAll(async () => {
    collector = await startRawCollector();
    own = await startRawCollector();
    const answer = (body: string) => (_c: unknown, res: import('node:http').ServerResponse) => void res.end(body);
    const inventory = await startOtelService('inventory', answer('{"stock":3}'));
    const fraud = await startOtelService('fraud', answer('{"ok":true}'));
    const cache = await startOtelService('cache', answer('{"fresh":true}'));
    const build = (name: string, dark: boolean) =>
      startOtelService(name, async (c, res) => {
        const id = c.path.split('/').pop()!;
        await c.call(inventory.url, 'GET', `/items/${id}`);
        // A random cache refresh, in every build: noise, not a difference.
        if (Math.random() < 0.4) await c.call(cache.url, 'GET', '/refresh');
        if (dark) await c.call(fraud.url, 'POST', '/check');
        await c.work('SELECT orders', dark ? 40 : 1);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id, total: 10 }));
      });
    const v1 = await build('checkout', false);
    const copy = await build('checkout', false);
    const darkBuild = await build('checkout-dark', true);
    services = [inventory, fraud, cache, v1, copy, darkBuild];
    fl = await startFieldlab(`
tracing: { endpoint: ${own.url} }
traces: { listen: 127.0.0.1:0, forward: ${collector.url} }
upstreams: { v1: ${v1.url}, copy: ${copy.url}, dark: ${darkBuild.url} }
routes:
  - name: checkout
    match: { path: /api/checkout/* }
    arms: { control: v1 }
    shadow: [{ to: dark, compare: { noiseFrom: copy } }]
`);
    const receiver = `http://127.0.0.1:${fl.app.tracesPort()}/v1/traces`;
    for (const s of services) s.connect(receiver);
    // Every batch the services send, seen on its way in (tapped at the receiver's socket level).
    fl.app.traces()!.server.prependListener('request', (req) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => sent.push(Buffer.concat(chunks)));
    });

    for (let i = 0; i < N; i++) {
      const res = await request(`${fl.url}/api/checkout/${1000 + i}`);
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    // Both pairs of every request (shadow and noise copy) reach the span join…
    await waitFor(() => {
      const j = fl.app.traces()!.stats().join;
      return j.pending + j.compared + j.missing >= 2 * N;
    }, 20_000);
    // …and every service's spans reach the receiver before the join is told to finish.
    await Promise.all(services.map((s) => s.flush()));
    await fl.app.traces()!.flush(true);
    await fl.app.flushDiffs();
    report = (await (await request(`${fl.adminUrl}/diffs.json?fields=200`)).body.json()) as DiffReport;
  }, 60_000);

  afterAll(async () => {
    // Services first: their exporters flush to the receiver on shutdown, which must still listen.
    await Promise.all((services ?? []).map((s) => s.close()));
    await fl?.close();
    await collector?.close();
    await own?.close();
  });

  const field = (name: string): FieldReport | undefined =>
    report.endpoints.find((e) => e.shadow === 'dark' && e.endpoint === 'GET /api/checkout/:id')?.fields.find((f) => f.field === name);

  it('joins every pair to its spans', () => {
    const j = fl.app.traces()!.stats().join;
    expect(j.compared).toBe(2 * N);
    expect(j.missing).toBe(0);
    expect(j.untraced).toBe(0);
  });

  it('reports the added downstream call as real', () => {
    const f = field('trace:calls:fraud POST /check');
    expect(f?.kind).toBe('added');
    expect(f?.verdict).toBe('real');
    expect(f?.differed).toBe(N);
    expect(field('trace:calls:checkout POST /check')?.verdict).toBe('real');
  });

  it('reports the slower operation as real', () => {
    const f = field('trace:slower:checkout SELECT orders');
    // A sign test: slower in (nearly) every pair, against about half of the noise pairs.
    expect(f?.verdict).toBe('real');
    expect(f!.rate).toBeGreaterThan(f!.noiseRate);
    // How much slower: the dark build works 40 ms instead of 1 ms, so the mean paired delta is about +39 ms.
    expect(f!.meanDeltaMs).toBeGreaterThan(25);
    expect(f!.meanDeltaMs).toBeLessThan(150);
    // An operation both builds call alike (slower in about half the pairs) carries a delta near 0.
    const inv = field('trace:slower:inventory GET /items/:id');
    expect(Math.abs(inv!.meanDeltaMs!)).toBeLessThan(25);
    // The paired deltas' p50 / p95, minus the noise pairs' (noiseFrom copies and repeats): ≈ +39 ms.
    expect(f!.deltaMs!.pairs).toBe(N);
    expect(f!.deltaMs!.noisePairs).toBeGreaterThanOrEqual(N);
    expect(f!.deltaMs!.correctedP50).toBeGreaterThan(25);
    expect(f!.deltaMs!.correctedP50).toBeLessThan(150);
    expect(f!.deltaMs!.p95).toBeGreaterThanOrEqual(f!.deltaMs!.p50);
    // Two identical builds differ by little in SELECT orders (1 ms of work each).
    expect(Math.abs(f!.deltaMs!.noiseP50!)).toBeLessThan(10);
    expect(Math.abs(inv!.deltaMs!.correctedP50)).toBeLessThan(15);
  });

  it('classifies a random call present in both builds as noise', () => {
    const f = field('trace:calls:cache GET /refresh');
    // Present in the report only if it differed at least once; 40 % per build makes that near-certain.
    expect(f?.verdict).toBe('noise');
    expect(f?.noiseDiffered).toBeGreaterThan(0);
    // The operations every build calls once never differ.
    expect(field('trace:calls:inventory GET /items/:id')).toBeUndefined();
  });

  it('keeps an example with the trace id and both trees', async () => {
    const res = await request(
      `${fl.adminUrl}/diffs/examples.json?route=checkout&field=${encodeURIComponent('trace:calls:fraud POST /check')}`,
    );
    const body = (await res.body.json()) as { examples: { traceId?: string; candidateBody: string; primaryBody: string }[] };
    expect(body.examples.length).toBeGreaterThan(0);
    const ex = body.examples[0]!;
    expect(ex.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(ex.candidateBody).toContain('fraud POST /check');
    expect(ex.primaryBody).not.toContain('fraud');
  });

  it('shows the downstream fields and their trees on the HTML report', async () => {
    const page = await (await request(`${fl.adminUrl}/diffs`)).body.text();
    expect(page).toContain('trace:calls:fraud POST /check');
    expect(page).toContain('fraud POST /check  ');
    expect(page).toMatch(
      /trace:slower:checkout SELECT orders.*?\+\d+(\.\d)? ms p50, \+\d+(\.\d)? ms p95 beyond noise.*?ms mean paired delta/s,
    );
  });

  it('forwards every batch to the collector unchanged', async () => {
    await fl.app.traces()!.flush();
    expect(sent.length).toBeGreaterThan(0);
    expect(collector.bodies.map((b) => b.body.toString('base64')).sort()).toEqual(sent.map((b) => b.toString('base64')).sort());
    expect(collector.bodies.every((b) => b.headers['content-type'] === 'application/json')).toBe(true);
  });

  it('refuses oversize and malformed bodies with a coded 4xx and keeps proxying', async () => {
    const receiver = `http://127.0.0.1:${fl.app.tracesPort()}/v1/traces`;
    const post = async (body: Buffer | string, headers: Record<string, string>) => {
      const r = await request(receiver, { method: 'POST', body, headers });
      await r.body.dump();
      return { status: r.statusCode, code: r.headers['x-fieldlab-error'] };
    };
    const forwardedBefore = collector.bodies.length;
    expect(await post(Buffer.alloc(5 << 20, 1), { 'content-type': 'application/x-protobuf' })).toEqual({
      status: 413,
      code: 'FL_OTLP_TOO_LARGE',
    });
    // A gzip bomb: 60 KiB on the wire, 5 MiB inflated (above the 4 MiB default).
    expect(await post(gzipSync(Buffer.alloc(5 << 20)), { 'content-type': 'application/json', 'content-encoding': 'gzip' })).toEqual({
      status: 413,
      code: 'FL_OTLP_TOO_LARGE',
    });
    expect(await post('{"resourceSpans": 7}', { 'content-type': 'application/json' })).toEqual({ status: 400, code: 'FL_OTLP_MALFORMED' });
    expect(await post('not json', { 'content-type': 'application/json' })).toEqual({ status: 400, code: 'FL_OTLP_MALFORMED' });
    expect(await post(Buffer.from([0xff, 0xff, 0xff]), { 'content-type': 'application/x-protobuf' })).toEqual({
      status: 400,
      code: 'FL_OTLP_MALFORMED',
    });
    expect(await post('{}', { 'content-type': 'text/plain' })).toEqual({ status: 415, code: 'FL_OTLP_UNSUPPORTED' });
    expect((await request(receiver.replace('/v1/traces', '/v1/metrics'), { method: 'POST', body: '{}' })).statusCode).toBe(404);
    await fl.app.traces()!.flush();
    expect(collector.bodies.length).toBe(forwardedBefore);
    const res = await request(`${fl.url}/api/checkout/7`);
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    const refused = fl.app.traces()!.stats().receiver.refused;
    expect(refused).toMatchObject({ FL_OTLP_TOO_LARGE: 2, FL_OTLP_MALFORMED: 3, FL_OTLP_UNSUPPORTED: 1 });
  });
});
