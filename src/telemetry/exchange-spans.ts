/**
 * The tracing observer: per exchange a SERVER span (arrival → end), a CLIENT child for the primary
 * upstream call whose context is the `traceparent` sent upstream, and a CLIENT span per shadow copy
 * linked to the primary call. All times come from the request path's own clock readings
 * (ExchangeInfo.startedAt/startedAtEpoch, totalMs, CapturedResponse.latencyMs) mapped to wall-clock
 * through one anchor per exchange, so span durations equal the latencies reports compare.
 */
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  trace,
  type Attributes,
  type Context,
  type Span,
  type SpanContext,
  type TextMapPropagator,
  type Tracer,
} from '@opentelemetry/api';
import type { CapturedResponse } from '../compare/types.js';
import type { ForwardOutcome } from '../forward/forwarder.js';
import type { ExchangeInfo, ExchangeObserver, ExchangeTracker, ShadowTracker } from './hooks.js';
import type { PresetIdGenerator } from './preset-ids.js';
import { armAttributes, endpointAttributes, requestAttributes } from './span-attributes.js';
import { formatTraceparent } from './traceparent.js';
import { FL_CLIENT_ABORTED } from '../errors.js';

/** What the span observer needs. */
export interface SpanObserverDeps {
  readonly tracer: Tracer;
  /** The provider's id generator, so a shadow span can be created late with the id already sent. */
  readonly ids: PresetIdGenerator;
  readonly propagator: TextMapPropagator;
  /** Record `url.query` (off by default: query strings often carry tokens). */
  readonly captureQuery?: boolean;
}

/** Proxy codes that say the client, not the upstream, ended the exchange. */
const CLIENT_SIDE = new Set([FL_CLIENT_ABORTED.code]);

/**
 * Creates the observer that turns exchanges into spans.
 * @example const observer = createSpanObserver({ tracer, ids, propagator: new W3CTraceContextPropagator() })
 */
export function createSpanObserver(deps: SpanObserverDeps): ExchangeObserver {
  const captureQuery = deps.captureQuery ?? false;
  return {
    begin(x) {
      const now = performance.now();
      // Wall-clock ms at arrival; every later reading is this plus a performance.now() delta.
      const anchor = x.startedAtEpoch - (now - x.startedAt);
      const parent =
        x.headers.traceparent === undefined ? ROOT_CONTEXT : deps.propagator.extract(ROOT_CONTEXT, x.headers, defaultTextMapGetter);
      const arm = armAttributes(x);
      // Attributes are set after the sampling decision, so unsampled exchanges never build them.
      const server = deps.tracer.startSpan(`${x.method} ${arm.route}`, { kind: SpanKind.SERVER, startTime: anchor }, parent);
      if (!server.isRecording()) return unsampled(deps, server.spanContext(), x.endpoint !== undefined);
      server.setAttributes(arm.attributes);
      server.setAttributes(requestAttributes(x, captureQuery));
      if (x.fault) server.setAttribute('fieldlab.fault', x.fault);
      const inServer = trace.setSpan(parent, server);
      let client: Span | undefined;
      if (x.endpoint !== undefined) {
        client = deps.tracer.startSpan(
          `${x.method} ${arm.upstream}`,
          { kind: SpanKind.CLIENT, startTime: anchor + (now - x.startedAt) },
          inServer,
        );
        client.setAttributes(arm.attributes);
        client.setAttributes(endpointAttributes(x.endpoint));
        client.setAttributes({ 'http.request.method': x.method, 'fieldlab.request_id': x.requestId });
      }
      return new ExchangeSpans(deps, x, anchor, server, client, inServer);
    },
  };
}

/**
 * An exchange sampled out: no spans, but the upstream and the shadows still get a valid
 * traceparent (the trace continues with the sampled flag off) and diff examples a trace id.
 */
function unsampled(deps: SpanObserverDeps, ctx: SpanContext, forwarded: boolean): ExchangeTracker {
  const next = () => formatTraceparent({ traceId: ctx.traceId, spanId: deps.ids.generateSpanId(), traceFlags: ctx.traceFlags });
  return {
    traceparent: forwarded ? next() : undefined,
    traceId: ctx.traceId,
    end: () => undefined,
    shadow: () => ({ traceparent: next(), end: () => undefined }),
  };
}

class ExchangeSpans implements ExchangeTracker {
  readonly traceparent: string | undefined;
  readonly traceId: string;
  readonly #deps: SpanObserverDeps;
  readonly #x: ExchangeInfo;
  readonly #anchor: number;
  readonly #server: Span;
  readonly #client: Span | undefined;
  readonly #context: Context;

  constructor(deps: SpanObserverDeps, x: ExchangeInfo, anchor: number, server: Span, client: Span | undefined, context: Context) {
    this.#deps = deps;
    this.#x = x;
    this.#anchor = anchor;
    this.#server = server;
    this.#client = client;
    this.#context = context;
    const ctx = (client ?? server).spanContext();
    this.traceId = ctx.traceId;
    this.traceparent = client ? formatTraceparent(ctx) : undefined;
  }

  end(outcome: ForwardOutcome, totalMs: number): void {
    const at = this.#anchor + totalMs;
    const client = this.#client;
    if (client) {
      if (outcome.code === undefined) client.setAttribute('http.response.status_code', outcome.status);
      else client.setAttribute('error.type', outcome.code);
      if (outcome.upstreamMs !== undefined) client.setAttribute('fieldlab.upstream_ms', outcome.upstreamMs);
      // Semantic conventions: a client span is an error from 4xx on, or when no response came.
      const failed = outcome.code === undefined ? outcome.status >= 400 : !CLIENT_SIDE.has(outcome.code);
      if (failed) client.setStatus({ code: SpanStatusCode.ERROR });
    }
    client?.end(at);
    const server = this.#server;
    server.setAttributes({ 'http.response.status_code': outcome.status, 'http.response.body.size': outcome.bytes });
    if (outcome.code !== undefined) server.setAttribute('error.type', outcome.code);
    if (outcome.status >= 500) server.setStatus({ code: SpanStatusCode.ERROR });
    server.end(at);
  }

  shadow(name: string, kind: 'shadow' | 'noise'): ShadowTracker | undefined {
    const primary = (this.#client ?? this.#server).spanContext();
    // The span is created when the copy completes (its start is end − latencyMs); its id is fixed
    // now so the traceparent sent with the copy names it.
    const spanId = this.#deps.ids.generateSpanId();
    const traceparent = formatTraceparent({ traceId: primary.traceId, spanId, traceFlags: this.#server.spanContext().traceFlags });
    return {
      traceparent,
      end: (res) => this.#endShadow(name, kind, spanId, primary, res),
    };
  }

  #endShadow(name: string, kind: 'shadow' | 'noise', spanId: string, primary: SpanContext, res: CapturedResponse): void {
    const x = this.#x;
    const at = this.#anchor + (performance.now() - x.startedAt);
    const attributes: Attributes = {
      'http.request.method': x.method,
      'fieldlab.route': x.route.name,
      'fieldlab.request_id': x.requestId,
      'fieldlab.shadow': name,
      'fieldlab.shadow.kind': kind,
      'http.response.body.size': res.bodyBytes,
    };
    if (res.error === undefined) attributes['http.response.status_code'] = res.status;
    else attributes['error.type'] = res.error;
    const span = this.#deps.ids.withNextSpanId(spanId, () =>
      this.#deps.tracer.startSpan(
        `${x.method} ${kind}:${name}`,
        {
          kind: SpanKind.CLIENT,
          startTime: at - res.latencyMs,
          attributes,
          links: [{ context: primary, attributes: { 'fieldlab.link': 'primary' } }],
        },
        this.#context,
      ),
    );
    if (res.error !== undefined || res.status >= 400) span.setStatus({ code: SpanStatusCode.ERROR });
    span.end(at);
  }
}
