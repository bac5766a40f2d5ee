/**
 * W3C Trace Context `traceparent` values (https://www.w3.org/TR/trace-context/#traceparent-header):
 * `00-<32 hex trace id>-<16 hex parent id>-<2 hex flags>`. Extraction goes through OTel's
 * W3CTraceContextPropagator (it also reads `tracestate`); this file only writes the header, which is
 * one template string and cheaper than building a carrier for `propagator.inject`.
 */
import type { SpanContext } from '@opentelemetry/api';

/**
 * The `traceparent` header value that makes `ctx` the parent of the next hop.
 * @example formatTraceparent(span.spanContext()) // '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01'
 */
export function formatTraceparent(ctx: Pick<SpanContext, 'traceId' | 'spanId' | 'traceFlags'>): string {
  const flags = ctx.traceFlags & 0xff;
  return `00-${ctx.traceId}-${ctx.spanId}-${flags < 16 ? '0' : ''}${flags.toString(16)}`;
}

const TRACEPARENT = /^([\da-f]{2})-([\da-f]{32})-([\da-f]{16})-([\da-f]{2})(?:-.*)?$/;

/** The parts of a `traceparent`; undefined when the value is not a valid one. */
export interface ParsedTraceparent {
  readonly traceId: string;
  readonly spanId: string;
  readonly sampled: boolean;
}

/**
 * Parses a `traceparent` (tests and tools; the request path uses the propagator). Rejects version ff,
 * all-zero ids, and data after the flags unless the version is newer than 00 (§3.2.4).
 * @example parseTraceparent(res.headers.traceparent)?.traceId
 */
export function parseTraceparent(value: string | undefined): ParsedTraceparent | undefined {
  const m = value === undefined ? null : TRACEPARENT.exec(value.trim());
  if (!m) return undefined;
  const [whole, version, traceId, spanId, flags] = m as unknown as [string, string, string, string, string];
  if (version === 'ff' || (version === '00' && whole.length !== 55)) return undefined;
  if (/^0+$/.test(traceId) || /^0+$/.test(spanId)) return undefined;
  return { traceId, spanId, sampled: (parseInt(flags, 16) & 1) === 1 };
}
