/**
 * OTLP/HTTP trace bodies → flat spans. Protobuf goes through protobufjs and the official
 * definitions (otlp-proto.ts); JSON follows the OTLP/JSON mapping (lowerCamelCase keys, hex ids,
 * nanosecond times as strings or numbers). Only what span-tree diffs need is kept; a body that is
 * not an ExportTraceServiceRequest is an error, a single span with unusable ids is skipped and
 * counted (a collector does the same: one bad span must not cost the batch).
 */
import protobuf from 'protobufjs';
import { OTLP_TRACE_PROTOS } from './otlp-proto.js';

/** One span as the tree diff sees it. */
export interface ReceivedSpan {
  /** 32 lower-case hex digits. */
  readonly traceId: string;
  /** 16 lower-case hex digits. */
  readonly spanId: string;
  /** undefined for a root span. */
  readonly parentSpanId: string | undefined;
  /** The resource's `service.name` (`unknown_service` when absent). */
  readonly service: string;
  readonly name: string;
  /** Wall-clock start, epoch ms. */
  readonly startMs: number;
  readonly durationMs: number;
  /** Status code ERROR. */
  readonly error: boolean;
}

/** A decoded batch, or why the body is not one. */
export type DecodeResult =
  | {
      readonly ok: true;
      readonly spans: ReceivedSpan[];
      readonly invalid: number;
    }
  | { readonly ok: false; readonly reason: string };

let requestType: protobuf.Type | undefined;

/** The ExportTraceServiceRequest type, parsed once from the embedded definitions. */
function exportRequest(): protobuf.Type {
  if (requestType) return requestType;
  const root = new protobuf.Root();
  for (const text of OTLP_TRACE_PROTOS) protobuf.parse(text, root, { keepCase: false });
  requestType = root.lookupType('opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest');
  return requestType;
}

/**
 * Decodes an `application/x-protobuf` body.
 * @example decodeProtobuf(body) // { ok: true, spans: [{ traceId: '4bf9…', name: 'GET /items/:id', … }], invalid: 0 }
 */
export function decodeProtobuf(body: Uint8Array): DecodeResult {
  let msg: unknown;
  try {
    msg = exportRequest().decode(body);
  } catch (err) {
    return { ok: false, reason: `protobuf: ${(err as Error).message}` };
  }
  return collect(msg, hexOfBytes);
}

/**
 * Decodes an `application/json` body (OTLP/JSON: ids are hex strings, not base64).
 * @example decodeJson(Buffer.from('{"resourceSpans":[]}')) // { ok: true, spans: [], invalid: 0 }
 */
export function decodeJson(body: Buffer): DecodeResult {
  let msg: unknown;
  try {
    msg = JSON.parse(body.toString('utf8'));
  } catch (err) {
    return { ok: false, reason: `JSON: ${(err as Error).message}` };
  }
  if (typeof msg !== 'object' || msg === null || Array.isArray(msg)) return { ok: false, reason: 'JSON: not an object' };
  return collect(msg, (v) => (typeof v === 'string' ? v.toLowerCase() : undefined));
}

type Obj = Record<string, unknown>;

function list(v: unknown, what: string): Obj[] {
  if (v === undefined || v === null) return [];
  if (!Array.isArray(v)) throw new TypeError(`${what} is not a list`);
  for (const x of v) if (typeof x !== 'object' || x === null) throw new TypeError(`${what} holds a non-object`);
  return v as Obj[];
}

/**
 * Longest span name or service kept (longer ones are cut): the tree key needs no more, and a
 * 4 MiB name per span would otherwise be held in the proxy's memory for `wait × 2`.
 */
export const MAX_NAME_CHARS = 256;
const cut = (v: string): string => (v.length > MAX_NAME_CHARS ? v.slice(0, MAX_NAME_CHARS) : v);

const HEX32 = /^[0-9a-f]{32}$/;
const HEX16 = /^[0-9a-f]{16}$/;

/** Walks resourceSpans → scopeSpans → spans; both decoders produce the same object shape. */
function collect(msg: unknown, hex: (v: unknown) => string | undefined): DecodeResult {
  const spans: ReceivedSpan[] = [];
  let invalid = 0;
  try {
    for (const rs of list((msg as Obj).resourceSpans, 'resourceSpans')) {
      const service = serviceOf(rs.resource);
      for (const ss of list(rs.scopeSpans, 'scopeSpans')) {
        for (const s of list(ss.spans, 'spans')) {
          const traceId = hex(s.traceId);
          const spanId = hex(s.spanId);
          const parent = hex(s.parentSpanId);
          const start = nanos(s.startTimeUnixNano);
          const end = nanos(s.endTimeUnixNano);
          if (!traceId || !HEX32.test(traceId) || !spanId || !HEX16.test(spanId) || start === undefined || end === undefined) {
            invalid++;
            continue;
          }
          const status = s.status as Obj | undefined;
          spans.push({
            traceId,
            spanId,
            parentSpanId: parent && HEX16.test(parent) && !/^0+$/.test(parent) ? parent : undefined,
            service,
            name: typeof s.name === 'string' ? cut(s.name) : '',
            startMs: Number(start / 1000n) / 1000,
            durationMs: end > start ? Number(end - start) / 1e6 : 0,
            error: status?.code === 2 || status?.code === 'STATUS_CODE_ERROR',
          });
        }
      }
    }
  } catch (err) {
    return { ok: false, reason: (err as Error).message };
  }
  return { ok: true, spans, invalid };
}

function serviceOf(resource: unknown): string {
  const attrs = (resource as Obj | undefined)?.attributes;
  if (!Array.isArray(attrs)) return 'unknown_service';
  for (const kv of attrs as Obj[]) {
    if (kv?.key !== 'service.name') continue;
    const v = (kv.value as Obj | undefined)?.stringValue;
    if (typeof v === 'string' && v !== '') return cut(v);
  }
  return 'unknown_service';
}

function hexOfBytes(v: unknown): string | undefined {
  if (!(v instanceof Uint8Array) || v.length === 0) return undefined;
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('hex');
}

/**
 * fixed64 nanoseconds (a Long from protobufjs, a string or number from JSON) as a bigint: epoch ns
 * need 61 bits, a double would round a span's duration to ~256 ns steps.
 */
function nanos(v: unknown): bigint | undefined {
  if (typeof v === 'string') return /^\d{1,20}$/.test(v) ? BigInt(v) : undefined;
  if (typeof v === 'number') return Number.isSafeInteger(v) && v >= 0 ? BigInt(v) : undefined;
  if (typeof v === 'object' && v !== null && 'low' in v && 'high' in v) {
    const { low, high } = v as { low: number; high: number };
    return (BigInt(high >>> 0) << 32n) | BigInt(low >>> 0);
  }
  return undefined;
}
