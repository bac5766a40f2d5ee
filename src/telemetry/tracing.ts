/**
 * OpenTelemetry tracing for the proxy: a private tracer provider (never registered globally, no
 * context manager: parents are passed explicitly), ParentBased(TraceIdRatioBased(sample)) sampling,
 * and a BatchSpanProcessor with a bounded queue in front of the OTLP/HTTP exporter — when the
 * collector is slow the queue fills and spans are dropped and counted; the request path never waits.
 * Importing this module starts nothing; `createTracing` is called only when `tracing:` is configured.
 */
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { defaultResource, resourceFromAttributes } from '@opentelemetry/resources';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  SimpleSpanProcessor,
  TraceIdRatioBasedSampler,
  type BufferConfig,
  type Sampler,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { RawTracing } from '../config/schema.js';
import { createSpanObserver } from './exchange-spans.js';
import type { ExchangeObserver } from './hooks.js';
import { createPresetIds } from './preset-ids.js';
import { createSpanStats, type SpanStats } from './span-stats.js';
import { serviceName, tracesEndpoint } from './tracing-env.js';

/** Optional knobs (tests, embedding). */
export interface TracingOptions {
  /** Replaces the OTLP/HTTP exporter (e.g. an InMemorySpanExporter in tests). */
  readonly exporter?: SpanExporter;
  /** `simple` exports each span as it ends (tests); default `batch`. */
  readonly processor?: 'batch' | 'simple';
  /** Batch queue settings; defaults: queue 2048 spans, batches of 512 every second. */
  readonly batch?: BufferConfig;
  /** Record `url.query` on server spans (default false: query strings often carry tokens). */
  readonly captureQuery?: boolean;
  /** `service.version` resource attribute. */
  readonly serviceVersion?: string;
}

/** Running tracing. */
export interface Tracing {
  /** Register with the request handler's observers. */
  readonly observer: ExchangeObserver;
  /** Where spans are sent (undefined when a custom exporter is used). */
  readonly endpoint: string | undefined;
  /** Export totals, including spans dropped because the queue was full. */
  stats(): SpanStats;
  /** Exports everything queued now. */
  forceFlush(): Promise<void>;
  /** Flushes and stops; spans ended afterwards are discarded. */
  shutdown(): Promise<void>;
}

const BATCH_DEFAULTS: Required<BufferConfig> = {
  maxQueueSize: 2048,
  maxExportBatchSize: 512,
  scheduledDelayMillis: 1000,
  exportTimeoutMillis: 10_000,
};

/**
 * The sampler: a sampled parent is always followed, an unsampled one never, new traces by ratio.
 * @example createSampler(0.1).shouldSample(ctx, traceId, 'GET /', SpanKind.SERVER, {}, []).decision
 */
export function createSampler(ratio: number): Sampler {
  return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
}

/**
 * Starts tracing from the `tracing:` section and the OTEL_* variables in `env`.
 * @example const tracing = createTracing(cfg.tracing, process.env); observers.push(tracing.observer); … await tracing.shutdown()
 */
export function createTracing(cfg: RawTracing, env: Readonly<Record<string, string | undefined>>, opts: TracingOptions = {}): Tracing {
  const endpoint = opts.exporter ? undefined : tracesEndpoint(cfg, env);
  const exporter = opts.exporter ?? new OTLPTraceExporter({ url: endpoint, timeoutMillis: 10_000 });
  const spanStats = createSpanStats();
  const processor: SpanProcessor =
    opts.processor === 'simple'
      ? new SimpleSpanProcessor(exporter)
      : // selfObsMeterProvider is how the processor reports drops; BufferConfig doesn't declare it.
        new BatchSpanProcessor(exporter, {
          ...BATCH_DEFAULTS,
          ...opts.batch,
          selfObsMeterProvider: spanStats.meterProvider,
        } as BufferConfig);
  const ids = createPresetIds();
  const attributes: Record<string, string> = { 'service.name': serviceName(cfg, env) };
  if (opts.serviceVersion) attributes['service.version'] = opts.serviceVersion;
  const provider = new BasicTracerProvider({
    resource: defaultResource().merge(resourceFromAttributes(attributes)),
    sampler: createSampler(cfg.sample),
    idGenerator: ids,
    spanProcessors: [processor],
  });
  const tracer = provider.getTracer('fieldlab');
  return {
    observer: createSpanObserver({ tracer, ids, propagator: new W3CTraceContextPropagator(), captureQuery: opts.captureQuery ?? false }),
    endpoint,
    stats: spanStats.stats,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
