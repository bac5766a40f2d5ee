/**
 * Counts what became of finished spans — exported, failed, or dropped because the batch queue was
 * full — by listening to the batch processor's own self-observability instruments
 * (`otel.sdk.processor.span.processed`, `otel.sdk.processor.span.queue.size`) through a minimal
 * MeterProvider. No metrics SDK, no global state: three numbers and a queue-size callback.
 */
import {
  createNoopMeter,
  type Attributes,
  type Counter,
  type Meter,
  type MeterProvider,
  type ObservableCallback,
  type ObservableUpDownCounter,
} from '@opentelemetry/api';

/** Span export totals since start. */
export interface SpanStats {
  /** Spans the exporter accepted. */
  readonly exported: number;
  /** Spans in batches the exporter failed to send (collector down, timeout). */
  readonly failed: number;
  /** Spans dropped because the queue was full: the request path never waits for the exporter. */
  readonly dropped: number;
  /** Spans waiting for the next batch. */
  readonly queued: number;
}

/** A MeterProvider for `selfObsMeterProvider` plus the totals it keeps. */
export interface SpanStatsRecorder {
  readonly meterProvider: MeterProvider;
  stats(): SpanStats;
}

const PROCESSED = 'otel.sdk.processor.span.processed';
const QUEUE_SIZE = 'otel.sdk.processor.span.queue.size';

/**
 * Creates the recorder.
 * @example const rec = createSpanStats(); new BatchSpanProcessor(exporter, { selfObsMeterProvider: rec.meterProvider }); rec.stats().dropped
 */
export function createSpanStats(): SpanStatsRecorder {
  const totals = { exported: 0, failed: 0, dropped: 0 };
  const queueCallbacks: ObservableCallback[] = [];
  const noop = createNoopMeter();
  const processed: Counter = {
    add(value: number, attrs?: Attributes) {
      const error = attrs?.['error.type'];
      if (error === undefined) totals.exported += value;
      else if (error === 'queue_full') totals.dropped += value;
      else totals.failed += value;
    },
  };
  const queueSize: ObservableUpDownCounter = {
    addCallback: (cb) => void queueCallbacks.push(cb),
    removeCallback: (cb) => {
      const i = queueCallbacks.indexOf(cb);
      if (i !== -1) queueCallbacks.splice(i, 1);
    },
  };
  const meter: Meter = Object.assign(Object.create(noop) as Meter, {
    createCounter: (name: string) => (name === PROCESSED ? processed : noop.createCounter(name)),
    createObservableUpDownCounter: (name: string) => (name === QUEUE_SIZE ? queueSize : noop.createObservableUpDownCounter(name)),
  });
  return {
    meterProvider: { getMeter: () => meter },
    stats() {
      let queued = 0;
      const result = { observe: (v: number) => void (queued += v) };
      for (const cb of queueCallbacks) void cb(result);
      return { ...totals, queued };
    },
  };
}
