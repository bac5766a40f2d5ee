// Tracing end to end: a real proxy, real loopback upstreams and shadow, spans caught by an
// in-memory exporter (attributes, parents, links, timings) and by a loopback OTLP/HTTP receiver
// (real export), plus what the upstream sees in traceparent with tracing on, sampled out, and off.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds } from '@opentelemetry/core';
import { InMemorySpanExporter, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import type { ExchangeObserver } from '../../src/telemetry/hooks.js';
import { parseTraceparent } from '../../src/telemetry/traceparent.js';
import { createTracing, type Tracing } from '../../src/telemetry/tracing.js';
import { startUpstream, type TestUpstream } from '../helpers/servers.js';
import { startOtlpReceiver } from '../unit/telemetry/otlp-receiver.js';
import { startWatchedFieldlab, type WatchedFieldlab } from '../helpers/shadows.js';

const T = '4bf92f3577b34da6a3ce929d0e0e4736';
const P = '00f067aa0ba902b7';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});

interface Setup {
  fl: WatchedFieldlab;
  primary: TestUpstream;
  dark: TestUpstream;
}

/** Upstreams `primary` and `dark` (the shadow), a dead one, and routes /api (mirrored), /plain, /broken. */
async function setup(observers: ExchangeObserver[], extraYaml = ''): Promise<Setup> {
  const primary = await startUpstream('primary');
  const dark = await startUpstream('dark');
  open.push(primary, dark);
  const dead = await deadOrigin();
  const fl = await startWatchedFieldlab(
    `${extraYaml}
upstreams: { primary: ${primary.url}, dark: ${dark.url}, dead: ${dead} }
routes:
  - name: api
    match: { path: /api/* }
    arms: { control: primary }
    shadow: [{ to: dark }]
  - name: plain
    match: { path: /plain/* }
    arms: { control: primary }
  - name: broken
    match: { path: /broken/* }
    arms: { control: dead }
`,
    observers,
  );
  open.push(fl);
  return { fl, primary, dark };
}

async function deadOrigin(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}

function memoryTracing(sample: number): { tracing: Tracing; exporter: InMemorySpanExporter } {
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({ sample, serviceName: 'fieldlab' }, {}, { exporter, processor: 'simple' });
  open.push({ close: () => tracing.shutdown() });
  return { tracing, exporter };
}

async function get(
  url: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; upstreamHeaders: Record<string, string> }> {
  const res = await request(url, { headers });
  const text = await res.body.text();
  return {
    status: res.statusCode,
    upstreamHeaders: res.statusCode === 200 ? (JSON.parse(text) as { headers: Record<string, string> }).headers : {},
  };
}

const one = (spans: ReadableSpan[], pred: (s: ReadableSpan) => boolean): ReadableSpan => {
  const hits = spans.filter(pred);
  if (hits.length !== 1) throw new Error(`expected one span, got ${hits.map((s) => s.name).join(', ') || 'none'}`);
  return hits[0]!;
};
const isServer = (s: ReadableSpan) => s.kind === SpanKind.SERVER;
const isPrimaryClient = (s: ReadableSpan) => s.kind === SpanKind.CLIENT && s.attributes['fieldlab.shadow'] === undefined;
const isShadow = (s: ReadableSpan) => s.attributes['fieldlab.shadow'] !== undefined;

describe('tracing', () => {
  it('records a server span and a client span for the primary, continuing the client trace, and passes the client span upstream', async () => {
    const { tracing, exporter } = memoryTracing(1);
    const { fl, primary } = await setup([tracing.observer]);
    const res = await get(`${fl.url}/plain/items?q=1`, {
      traceparent: `00-${T}-${P}-01`,
      tracestate: 'vendor=abc',
      'user-agent': 'fieldlab-test',
    });
    expect(res.status).toBe(200);

    const spans = exporter.getFinishedSpans();
    const server = one(spans, isServer);
    const client = one(spans, isPrimaryClient);
    expect(server.name).toBe('GET /plain/*');
    expect(server.spanContext().traceId).toBe(T);
    expect(server.parentSpanContext?.spanId).toBe(P);
    expect(server.attributes).toMatchObject({
      'http.request.method': 'GET',
      'url.path': '/plain/items',
      'url.scheme': 'http',
      'http.route': '/plain/*',
      'http.response.status_code': 200,
      'server.address': '127.0.0.1',
      'client.address': '127.0.0.1',
      'user_agent.original': 'fieldlab-test',
      'fieldlab.route': 'plain',
      'fieldlab.arm': 'control',
      'fieldlab.upstream': 'primary',
    });
    expect(server.attributes['fieldlab.request_id']).toEqual(expect.any(String));
    expect(server.attributes['url.query']).toBeUndefined(); // off unless captureQuery
    expect(server.attributes['error.type']).toBeUndefined();

    expect(client.name).toBe('GET primary');
    expect(client.spanContext().traceId).toBe(T);
    expect(client.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(client.attributes).toMatchObject({
      'server.address': '127.0.0.1',
      'server.port': primary.port,
      'http.request.method': 'GET',
      'http.response.status_code': 200,
      'fieldlab.route': 'plain',
      'fieldlab.arm': 'control',
      'fieldlab.upstream': 'primary',
    });

    // The upstream continues the trace under the CLIENT span; tracestate passes through.
    expect(res.upstreamHeaders.traceparent).toBe(`00-${T}-${client.spanContext().spanId}-01`);
    expect(res.upstreamHeaders.tracestate).toBe('vendor=abc');
    // One clock: the client call lies inside the server span and both end together.
    expect(hrTimeToMilliseconds(client.startTime)).toBeGreaterThanOrEqual(hrTimeToMilliseconds(server.startTime));
    expect(client.endTime).toEqual(server.endTime);
  });

  it('gives each shadow copy a CLIENT span linked to the primary call, timed by the captured latency', async () => {
    const { tracing, exporter } = memoryTracing(1);
    const { fl, dark } = await setup([tracing.observer]);
    await get(`${fl.url}/api/items`, { traceparent: `00-${T}-${P}-01` });
    await fl.shadowsSettled();
    await until(() => fl.pairs.length === 1);

    const spans = exporter.getFinishedSpans();
    const server = one(spans, isServer);
    const client = one(spans, isPrimaryClient);
    const shadow = one(spans, isShadow);
    expect(shadow.kind).toBe(SpanKind.CLIENT);
    expect(shadow.name).toBe('GET shadow:dark');
    expect(shadow.attributes).toMatchObject({
      'fieldlab.shadow': 'dark',
      'fieldlab.shadow.kind': 'shadow',
      'fieldlab.route': 'api',
      'http.response.status_code': 200,
    });
    expect(shadow.spanContext().traceId).toBe(T);
    expect(shadow.parentSpanContext?.spanId).toBe(server.spanContext().spanId);
    expect(shadow.links).toHaveLength(1);
    expect(shadow.links[0]!.context.spanId).toBe(client.spanContext().spanId);
    expect(shadow.links[0]!.attributes).toEqual({ 'fieldlab.link': 'primary' });
    // The shadow received the shadow span's own context.
    expect(dark.seen[0]!.headers.traceparent).toBe(`00-${T}-${shadow.spanContext().spanId}-01`);
    // Span duration is the latency the diff report compares.
    const pair = fl.pairs[0]!;
    expect(pair.traceId).toBe(T);
    expect(hrTimeToMilliseconds(shadow.duration)).toBeCloseTo(pair.candidate.latencyMs, 3);
  });

  it('marks proxy-made failures: error.type is the FL_ code, 5xx server spans are errors', async () => {
    const { tracing, exporter } = memoryTracing(1);
    const { fl } = await setup([tracing.observer]);
    expect((await get(`${fl.url}/broken/x`)).status).toBe(502);
    const spans = exporter.getFinishedSpans();
    const server = one(spans, isServer);
    const client = one(spans, isPrimaryClient);
    expect(server.attributes).toMatchObject({
      'http.response.status_code': 502,
      'error.type': 'FL_UPSTREAM_CONNECT',
      'fieldlab.upstream': 'dead',
    });
    expect(server.status.code).toBe(SpanStatusCode.ERROR);
    expect(client.attributes['error.type']).toBe('FL_UPSTREAM_CONNECT');
    expect(client.attributes['http.response.status_code']).toBeUndefined();
    expect(client.status.code).toBe(SpanStatusCode.ERROR);
    // No incoming traceparent: a new root trace.
    expect(server.parentSpanContext).toBeUndefined();
    expect(server.spanContext().traceId).toMatch(/^[\da-f]{32}$/);
  });

  it('follows a sampled parent even at sample 0; unsampled traffic gets no spans but a valid traceparent', async () => {
    const { tracing, exporter } = memoryTracing(0);
    const { fl, dark } = await setup([tracing.observer]);

    const sampled = await get(`${fl.url}/api/a`, { traceparent: `00-${T}-${P}-01` });
    await fl.shadowsSettled();
    await until(() => exporter.getFinishedSpans().length === 3);
    expect(exporter.getFinishedSpans().every((s) => s.spanContext().traceId === T)).toBe(true);
    expect(parseTraceparent(sampled.upstreamHeaders.traceparent)).toMatchObject({ traceId: T, sampled: true });

    exporter.reset();
    const T2 = 'a'.repeat(32);
    const unsampled = await get(`${fl.url}/api/b`, { traceparent: `00-${T2}-${P}-00` });
    const fresh = await get(`${fl.url}/api/c`);
    await fl.shadowsSettled();
    await until(() => dark.seen.length === 3);
    expect(exporter.getFinishedSpans()).toEqual([]);

    const passed = parseTraceparent(unsampled.upstreamHeaders.traceparent)!;
    expect(passed).toMatchObject({ traceId: T2, sampled: false });
    expect(passed.spanId).not.toBe(P);
    const started = parseTraceparent(fresh.upstreamHeaders.traceparent)!;
    expect(started.sampled).toBe(false);
    expect(started.traceId).not.toBe(T2);
    // Shadow copies carry the same trace, unsampled too.
    expect(dark.seen.slice(1).map((r) => parseTraceparent(r.headers.traceparent as string))).toEqual([
      expect.objectContaining({ traceId: T2, sampled: false }),
      expect.objectContaining({ traceId: started.traceId, sampled: false }),
    ]);
  });

  it('without tracing, the upstream gets the client traceparent and tracestate unchanged', async () => {
    const { fl, dark } = await setup([]);
    const tp = `00-${T}-${P}-01`;
    const res = await get(`${fl.url}/api/x`, { traceparent: tp, tracestate: 'vendor=abc' });
    expect(res.upstreamHeaders.traceparent).toBe(tp);
    expect(res.upstreamHeaders.tracestate).toBe('vendor=abc');
    await fl.shadowsSettled();
    await until(() => fl.pairs.length === 1);
    expect(dark.seen[0]!.headers.traceparent).toBe(tp);
    expect(fl.pairs[0]!.traceId).toBe(T);
  });

  it('exports over OTLP/HTTP to a loopback collector named by tracing: in the config', async () => {
    const otlp = await startOtlpReceiver();
    open.push(otlp);
    const { fl } = await setup([], `tracing: { endpoint: '${otlp.url}/v1/traces', serviceName: fieldlab-it }`);
    const tracing = fl.app.tracing()!;
    expect(tracing.endpoint).toBe(`${otlp.url}/v1/traces`);

    await get(`${fl.url}/api/x`, { traceparent: `00-${T}-${P}-01` });
    await fl.shadowsSettled();
    await until(() => fl.pairs.length === 1);
    await tracing.forceFlush();
    await until(() => otlp.spans.length === 3);

    expect(otlp.posts.every((p) => p.path === '/v1/traces' && p.headers['content-type'] === 'application/json')).toBe(true);
    expect(new Set(otlp.spans.map((s) => s.service))).toEqual(new Set(['fieldlab-it']));
    expect(otlp.spans.map((s) => s.name).sort()).toEqual(['GET /api/*', 'GET primary', 'GET shadow:dark']);
    const server = otlp.spans.find((s) => s.kind === 2)!;
    const client = otlp.spans.find((s) => s.name === 'GET primary')!;
    const shadow = otlp.spans.find((s) => s.name === 'GET shadow:dark')!;
    expect(otlp.spans.every((s) => s.traceId === T)).toBe(true);
    expect(server.parentSpanId).toBe(P);
    expect(server.attributes).toMatchObject({
      'fieldlab.route': 'api',
      'fieldlab.arm': 'control',
      'fieldlab.upstream': 'primary',
      'http.response.status_code': 200,
      'http.route': '/api/*',
    });
    expect(client).toMatchObject({ kind: 3, parentSpanId: server.spanId });
    expect(shadow.attributes).toMatchObject({ 'fieldlab.shadow': 'dark', 'fieldlab.shadow.kind': 'shadow' });
    expect(shadow.links).toEqual([{ traceId: T, spanId: client.spanId, attributes: { 'fieldlab.link': 'primary' } }]);
    expect(tracing.stats()).toMatchObject({ exported: 3, failed: 0, dropped: 0 });
  });

  it('finds the collector through OTEL_EXPORTER_OTLP_ENDPOINT and names the service from OTEL_SERVICE_NAME', async () => {
    const otlp = await startOtlpReceiver();
    open.push(otlp);
    const tracing = createTracing(
      { sample: 1, serviceName: 'fieldlab' },
      { OTEL_EXPORTER_OTLP_ENDPOINT: otlp.url, OTEL_SERVICE_NAME: 'edge-proxy' },
    );
    open.push({ close: () => tracing.shutdown() });
    const { fl } = await setup([tracing.observer]);
    await get(`${fl.url}/plain/x`);
    await tracing.forceFlush();
    await until(() => otlp.spans.length === 2);
    expect(otlp.posts[0]!.path).toBe('/v1/traces');
    expect(otlp.spans.map((s) => s.service)).toEqual(['edge-proxy', 'edge-proxy']);
  });

  it('a stuck collector costs spans, never requests: the bounded queue drops and counts', async () => {
    const stuck: ((r: { code: ExportResultCode }) => void)[] = [];
    const exporter: SpanExporter = { export: (_spans, done) => void stuck.push(done), shutdown: async () => undefined };
    const tracing = createTracing(
      { sample: 1, serviceName: 'fieldlab' },
      {},
      { exporter, batch: { maxQueueSize: 4, maxExportBatchSize: 4, scheduledDelayMillis: 60_000 } },
    );
    const { fl } = await setup([tracing.observer]);
    for (let i = 0; i < 10; i++) expect((await get(`${fl.url}/plain/${i}`)).status).toBe(200);
    // 20 spans: 4 handed to the stuck exporter, 4 queued, the rest dropped.
    expect(tracing.stats()).toEqual({ exported: 0, failed: 0, dropped: 12, queued: 4 });
    stuck.splice(0).forEach((done) => done({ code: ExportResultCode.SUCCESS }));
    await until(() => stuck.length === 1);
    stuck.splice(0).forEach((done) => done({ code: ExportResultCode.SUCCESS }));
    await tracing.shutdown();
    expect(tracing.stats()).toEqual({ exported: 8, failed: 0, dropped: 12, queued: 0 });
  });
});

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 300 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error('timed out waiting');
}
