// The OTLP decoders against bodies the official serializers produce (protobuf and JSON), and
// bodies that are not ExportTraceServiceRequests.
import { ROOT_CONTEXT, SpanStatusCode, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { describe, expect, it } from 'vitest';
import { MAX_NAME_CHARS, decodeJson, decodeProtobuf } from '../../../src/traces/otlp-decode.js';

function spans(): ReadableSpan[] {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'inventory' }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('t');
  const root = tracer.startSpan('GET /items/12', {
    startTime: 1_700_000_000_000,
  });
  const child = tracer.startSpan('SELECT items', { startTime: 1_700_000_000_002 }, trace.setSpan(ROOT_CONTEXT, root));
  child.setStatus({ code: SpanStatusCode.ERROR });
  child.end(1_700_000_000_005);
  root.end(1_700_000_000_010);
  return exporter.getFinishedSpans();
}

describe('decodeProtobuf / decodeJson', () => {
  it('reads what the official serializers write, the same either way', () => {
    const input = spans();
    const pb = decodeProtobuf(ProtobufTraceSerializer.serializeRequest(input)!);
    const js = decodeJson(Buffer.from(JsonTraceSerializer.serializeRequest(input)!));
    expect(pb).toEqual(js);
    if (!pb.ok) throw new Error(pb.reason);
    const [child, root] = pb.spans;
    expect(root).toMatchObject({
      name: 'GET /items/12',
      service: 'inventory',
      parentSpanId: undefined,
      error: false,
      durationMs: 10,
    });
    expect(child).toMatchObject({
      name: 'SELECT items',
      parentSpanId: root!.spanId,
      error: true,
      durationMs: 3,
    });
    expect(root!.traceId).toBe(input[1]!.spanContext().traceId);
    expect(root!.startMs).toBe(1_700_000_000_000);
  });

  it('refuses bodies that are not an export request', () => {
    expect(decodeProtobuf(Buffer.from([0xff, 0xff, 0xff])).ok).toBe(false);
    expect(decodeJson(Buffer.from('nope')).ok).toBe(false);
    expect(decodeJson(Buffer.from('[1]')).ok).toBe(false);
    expect(decodeJson(Buffer.from('{"resourceSpans":{"x":1}}')).ok).toBe(false);
    expect(decodeJson(Buffer.from('{"resourceSpans":[{"scopeSpans":[{"spans":[3]}]}]}')).ok).toBe(false);
  });

  it('skips and counts a span with unusable ids, keeping the rest of the batch', () => {
    const good = {
      traceId: 'ab'.repeat(16),
      spanId: 'cd'.repeat(8),
      name: 'x',
      startTimeUnixNano: '1000000',
      endTimeUnixNano: '3000000',
    };
    const body = {
      resourceSpans: [
        {
          scopeSpans: [
            {
              spans: [good, { ...good, traceId: 'zz' }, { ...good, endTimeUnixNano: 'soon' }],
            },
          ],
        },
      ],
    };
    const r = decodeJson(Buffer.from(JSON.stringify(body)));
    expect(r).toMatchObject({ ok: true, invalid: 2 });
    if (r.ok)
      expect(r.spans).toEqual([
        expect.objectContaining({
          service: 'unknown_service',
          durationMs: 2,
          startMs: 1,
        }),
      ]);
  });

  it('cuts span names and service names to MAX_NAME_CHARS (a 4 MiB name is not held)', () => {
    const long = 'x'.repeat(4 * 1024 * 1024);
    const body = {
      resourceSpans: [
        {
          resource: {
            attributes: [{ key: 'service.name', value: { stringValue: long } }],
          },
          scopeSpans: [
            {
              spans: [
                {
                  traceId: 'a'.repeat(32),
                  spanId: 'b'.repeat(16),
                  name: long,
                  startTimeUnixNano: '1',
                  endTimeUnixNano: '2',
                },
              ],
            },
          ],
        },
      ],
    };
    const r = decodeJson(Buffer.from(JSON.stringify(body)));
    expect(r.ok && r.spans[0]?.name.length).toBe(MAX_NAME_CHARS);
    expect(r.ok && r.spans[0]?.service.length).toBe(MAX_NAME_CHARS);
  });
});
