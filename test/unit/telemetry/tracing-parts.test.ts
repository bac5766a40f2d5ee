// The pure parts of tracing: traceparent formatting, the sampler's parent rules, endpoint and
// service-name resolution, Host splitting, preset span ids, and the span drop counter.
import { ROOT_CONTEXT, SpanKind, TraceFlags, trace, type Context } from '@opentelemetry/api';
import { ExportResultCode } from '@opentelemetry/core';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  SamplingDecision,
  type BufferConfig,
  type ReadableSpan,
  type SpanExporter,
} from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { createPresetIds } from '../../../src/telemetry/preset-ids.js';
import { splitHost } from '../../../src/telemetry/span-attributes.js';
import { createSpanStats } from '../../../src/telemetry/span-stats.js';
import { formatTraceparent, parseTraceparent } from '../../../src/telemetry/traceparent.js';
import { DEFAULT_TRACES_ENDPOINT, serviceName, tracesEndpoint } from '../../../src/telemetry/tracing-env.js';
import { createSampler } from '../../../src/telemetry/tracing.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const SPAN = '00f067aa0ba902b7';

describe('traceparent', () => {
  it('formats version 00 with two-digit hex flags', () => {
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED })).toBe(`00-${TRACE}-${SPAN}-01`);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.NONE })).toBe(`00-${TRACE}-${SPAN}-00`);
    expect(formatTraceparent({ traceId: TRACE, spanId: SPAN, traceFlags: 0x1f })).toBe(`00-${TRACE}-${SPAN}-1f`);
  });

  it('parses what it formats and refuses invalid values', () => {
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-01`)).toEqual({ traceId: TRACE, spanId: SPAN, sampled: true });
    expect(parseTraceparent(`00-${TRACE}-${SPAN}-02`)?.sampled).toBe(false);
    expect(parseTraceparent(`01-${TRACE}-${SPAN}-01-future`)?.traceId).toBe(TRACE); // newer versions may append
    for (const bad of [
      undefined,
      '',
      `ff-${TRACE}-${SPAN}-01`,
      `00-${'0'.repeat(32)}-${SPAN}-01`,
      `00-${TRACE}-${'0'.repeat(16)}-01`,
      `00-${TRACE}-${SPAN}-01-extra`,
      `00-${TRACE.toUpperCase()}-${SPAN}-01`,
    ]) {
      expect(parseTraceparent(bad)).toBeUndefined();
    }
  });
});

describe('sampler', () => {
  const decide = (ratio: number, ctx: Context, traceId = TRACE) =>
    createSampler(ratio).shouldSample(ctx, traceId, 'GET /', SpanKind.SERVER, {}, []).decision;
  const remote = (flags: TraceFlags) =>
    trace.setSpanContext(ROOT_CONTEXT, { traceId: TRACE, spanId: SPAN, traceFlags: flags, isRemote: true });

  it('always follows a sampled parent, even at ratio 0', () => {
    expect(decide(0, remote(TraceFlags.SAMPLED))).toBe(SamplingDecision.RECORD_AND_SAMPLED);
  });

  it('never samples under an unsampled parent, even at ratio 1', () => {
    expect(decide(1, remote(TraceFlags.NONE))).toBe(SamplingDecision.NOT_RECORD);
  });

  it('samples new traces by trace id ratio', () => {
    expect(decide(0, ROOT_CONTEXT)).toBe(SamplingDecision.NOT_RECORD);
    expect(decide(1, ROOT_CONTEXT)).toBe(SamplingDecision.RECORD_AND_SAMPLED);
    const ids = Array.from({ length: 2000 }, (_, i) => (i * 2654435761).toString(16).padStart(8, '0').repeat(4).slice(0, 32));
    const sampled = ids.filter((id) => decide(0.25, ROOT_CONTEXT, id) === SamplingDecision.RECORD_AND_SAMPLED).length;
    expect(sampled / ids.length).toBeGreaterThan(0.18);
    expect(sampled / ids.length).toBeLessThan(0.32);
  });
});

describe('tracing env', () => {
  const cfg = { sample: 1, serviceName: 'fieldlab' };
  it('prefers tracing.endpoint, then the traces variable, then the generic one plus /v1/traces', () => {
    const env = { OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://t:4318/custom', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://g:4318/' };
    expect(tracesEndpoint({ ...cfg, endpoint: 'http://cfg:4318/v1/traces' }, env)).toBe('http://cfg:4318/v1/traces');
    expect(tracesEndpoint(cfg, env)).toBe('http://t:4318/custom');
    expect(tracesEndpoint(cfg, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://g:4318/' })).toBe('http://g:4318/v1/traces');
    expect(tracesEndpoint(cfg, {})).toBe(DEFAULT_TRACES_ENDPOINT);
  });

  it('lets OTEL_SERVICE_NAME replace only the default service name', () => {
    expect(serviceName(cfg, { OTEL_SERVICE_NAME: 'edge' })).toBe('edge');
    expect(serviceName({ serviceName: 'checkout-proxy' }, { OTEL_SERVICE_NAME: 'edge' })).toBe('checkout-proxy');
    expect(serviceName(cfg, {})).toBe('fieldlab');
  });
});

describe('span helpers', () => {
  it('splits Host headers, IPv6 included', () => {
    expect(splitHost('shop.example')).toEqual({ address: 'shop.example', port: undefined });
    expect(splitHost('shop.example:8443')).toEqual({ address: 'shop.example', port: 8443 });
    expect(splitHost('[::1]:8080')).toEqual({ address: '::1', port: 8080 });
    expect(splitHost('[::1]')).toEqual({ address: '::1', port: undefined });
  });

  it('gives the next span exactly the preset id, then goes back to random ids', () => {
    const ids = createPresetIds();
    const tracer = new BasicTracerProvider({ idGenerator: ids }).getTracer('t');
    const preset = ids.withNextSpanId(SPAN, () => tracer.startSpan('late'));
    expect(preset.spanContext().spanId).toBe(SPAN);
    const next = tracer.startSpan('next').spanContext().spanId;
    expect(next).toMatch(/^[\da-f]{16}$/);
    expect(next).not.toBe(SPAN);
  });

  it('counts spans dropped because the batch queue was full, and those exported', async () => {
    const pending: ((r: { code: ExportResultCode; error?: Error }) => void)[] = [];
    const exported: ReadableSpan[] = [];
    const slow: SpanExporter = {
      export: (spans, done) => {
        exported.push(...spans);
        pending.push(done);
      },
      shutdown: async () => undefined,
    };
    const stats = createSpanStats();
    const bsp = new BatchSpanProcessor(slow, {
      maxQueueSize: 4,
      maxExportBatchSize: 4,
      scheduledDelayMillis: 60_000,
      selfObsMeterProvider: stats.meterProvider,
    } as BufferConfig);
    const tracer = new BasicTracerProvider({ spanProcessors: [bsp] }).getTracer('t');
    for (let i = 0; i < 12; i++) tracer.startSpan(`s${i}`).end();
    // 4 went to the (stuck) exporter, 4 wait in the queue, 4 were dropped.
    expect(stats.stats()).toEqual({ exported: 0, failed: 0, dropped: 4, queued: 4 });
    pending.splice(0).forEach((done) => done({ code: ExportResultCode.SUCCESS }));
    await new Promise((r) => setImmediate(r));
    expect(stats.stats()).toMatchObject({ exported: 4, dropped: 4 });
    expect(exported).toHaveLength(8);
    pending.splice(0).forEach((done) => done({ code: ExportResultCode.FAILED, error: new Error('collector down') }));
    await new Promise((r) => setImmediate(r));
    expect(stats.stats()).toEqual({ exported: 4, failed: 4, dropped: 4, queued: 0 });
  });
});
