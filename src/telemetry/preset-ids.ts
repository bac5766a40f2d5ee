/**
 * The SDK's random id generator, with one twist: the next span id can be fixed in advance. A shadow
 * copy carries its span's id in `traceparent` when it is sent, but the span itself is created only
 * when the copy completes, so its start can be derived from the measured latency.
 */
import { RandomIdGenerator, type IdGenerator } from '@opentelemetry/sdk-trace-base';

/** An IdGenerator whose next span id can be preset. */
export interface PresetIdGenerator extends IdGenerator {
  /** Runs `fn` (which starts exactly one span, synchronously) with `spanId` as the span's id. */
  withNextSpanId<T>(spanId: string, fn: () => T): T;
}

/**
 * Creates the generator; pass it to the tracer provider as `idGenerator`.
 * @example const ids = createPresetIds(); new BasicTracerProvider({ idGenerator: ids }); ids.withNextSpanId(id, () => tracer.startSpan('x'))
 */
export function createPresetIds(): PresetIdGenerator {
  const random = new RandomIdGenerator();
  let next: string | undefined;
  return {
    generateTraceId: () => random.generateTraceId(),
    generateSpanId() {
      if (next === undefined) return random.generateSpanId();
      const id = next;
      next = undefined;
      return id;
    },
    withNextSpanId(spanId, fn) {
      next = spanId;
      try {
        return fn();
      } finally {
        next = undefined;
      }
    },
  };
}
