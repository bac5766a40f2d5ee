/**
 * Traces bench: what the span-tree side costs per span and per pair, off the request path — decoding
 * an OTLP batch the official SDK serializers wrote (protobuf and JSON), and building and diffing the
 * two call trees of a pair. CPU time on this process, one run; compare the ratios, not the absolutes.
 *
 *   npm run build && node dist/bench/traces.js
 */
import { ROOT_CONTEXT, trace } from '@opentelemetry/api';
import { JsonTraceSerializer, ProtobufTraceSerializer } from '@opentelemetry/otlp-transformer';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { decodeJson, decodeProtobuf } from '../src/traces/otlp-decode.js';
import { callTree } from '../src/traces/span-tree.js';
import { diffTrees } from '../src/traces/tree-diff.js';

const exporter = new InMemorySpanExporter();
const provider = new BasicTracerProvider({
  resource: resourceFromAttributes({ 'service.name': 'checkout' }),
  spanProcessors: [new SimpleSpanProcessor(exporter)],
});
const tracer = provider.getTracer('bench');
// 64 requests × 8 spans: a SERVER span with 7 children, typical attributes on each.
for (let r = 0; r < 64; r++) {
  const root = tracer.startSpan(`GET /api/checkout/${r}`, {
    attributes: { 'http.request.method': 'GET', 'url.path': `/api/checkout/${r}` },
  });
  const ctx = trace.setSpan(ROOT_CONTEXT, root);
  for (let c = 0; c < 7; c++)
    tracer.startSpan(c % 2 ? 'SELECT orders' : `GET /items/${c}`, { attributes: { 'db.system': 'pg' } }, ctx).end();
  root.end();
}
const spans = exporter.getFinishedSpans();
const pb = ProtobufTraceSerializer.serializeRequest(spans)!;
const js = Buffer.from(JsonTraceSerializer.serializeRequest(spans)!);

function cpuMicros(fn: () => void, iterations: number): number {
  fn();
  const start = process.cpuUsage();
  for (let i = 0; i < iterations; i++) fn();
  const used = process.cpuUsage(start);
  return (used.user + used.system) / iterations;
}

const N = 300;
const pbUs = cpuMicros(() => decodeProtobuf(pb), N);
const jsUs = cpuMicros(() => decodeJson(js), N);
const decoded = decodeProtobuf(pb);
if (!decoded.ok) throw new Error(decoded.reason);
// Two requests' spans as the primary and shadow trees (the same shape: the common case).
// A held trace holds one request's spans: two requests' spans stand for the primary and shadow trees.
const roots = decoded.spans.filter((s) => s.parentSpanId === undefined).slice(0, 2);
const mine = new Set(roots.map((s) => s.traceId));
const fake = decoded.spans
  .filter((s) => mine.has(s.traceId))
  .map((s) => (s.parentSpanId === undefined ? { ...s, parentSpanId: `p${s.spanId}` } : s));
const pairUs = cpuMicros(() => {
  const p = callTree(fake, `p${roots[0]!.spanId}`)!;
  const c = callTree(fake, `p${roots[1]!.spanId}`, 'checkout')!;
  diffTrees(p, c);
}, N);

const rows = [
  ['decode protobuf (512 spans, ' + pb.length + ' B)', pbUs, pbUs / spans.length],
  ['decode JSON (512 spans, ' + js.length + ' B)', jsUs, jsUs / spans.length],
  ['call trees + diff of one pair (8 spans a side)', pairUs, pairUs / 16],
] as const;
console.log('| step | CPU µs per batch/pair | CPU µs per span |\n| --- | --- | --- |');
for (const [name, total, per] of rows) console.log(`| ${name} | ${total.toFixed(0)} | ${per.toFixed(2)} |`);
