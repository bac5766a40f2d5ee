/**
 * Where received spans wait for the pairs that need them: per trace id, bounded three ways —
 * traces held (the oldest goes first), spans per trace, and age (a trace untouched for `holdMs`
 * is forgotten). Every span or trace let go before it could be used is counted by reason.
 */
import type { ReceivedSpan } from './otlp-decode.js';

/** The spans of one trace and when the last one arrived. */
export interface HeldTrace {
  readonly spans: ReceivedSpan[];
  /** performance.now() of the last span added. */
  lastAt: number;
}

/** Why spans were let go. */
export interface SpanBufferStats {
  readonly traces: number;
  readonly spans: number;
  readonly dropped: { readonly traces: number; readonly spans: number; readonly expired: number };
}

/** The buffer. */
export interface SpanBuffer {
  add(spans: readonly ReceivedSpan[]): void;
  get(traceId: string): HeldTrace | undefined;
  /** Forgets traces older than `holdMs` (called from the join's timer). */
  sweep(): void;
  stats(): SpanBufferStats;
}

/** Bounds (config `traces.*`). */
export interface SpanBufferOptions {
  readonly maxTraces: number;
  readonly maxSpansPerTrace: number;
  readonly holdMs: number;
  readonly now?: () => number;
}

/**
 * Creates an empty buffer.
 * @example const buf = createSpanBuffer({ maxTraces: 10_000, maxSpansPerTrace: 1000, holdMs: 60_000 }); buf.add(decoded.spans)
 */
export function createSpanBuffer(opts: SpanBufferOptions): SpanBuffer {
  const now = opts.now ?? (() => performance.now());
  // Insertion order is arrival order of each trace's first span: the first entry is the oldest.
  const traces = new Map<string, HeldTrace>();
  let spans = 0;
  const dropped = { traces: 0, spans: 0, expired: 0 };
  const forget = (id: string, t: HeldTrace) => {
    traces.delete(id);
    spans -= t.spans.length;
  };
  return {
    add(batch) {
      const at = now();
      for (const s of batch) {
        let t = traces.get(s.traceId);
        if (!t) {
          if (traces.size >= opts.maxTraces) {
            const [oldId, old] = traces.entries().next().value as [string, HeldTrace];
            forget(oldId, old);
            dropped.traces++;
          }
          t = { spans: [], lastAt: at };
          traces.set(s.traceId, t);
        }
        if (t.spans.length >= opts.maxSpansPerTrace) {
          dropped.spans++;
          continue;
        }
        t.spans.push(s);
        t.lastAt = at;
        spans++;
      }
    },
    get: (id) => traces.get(id),
    sweep() {
      const cutoff = now() - opts.holdMs;
      for (const [id, t] of traces) {
        if (t.lastAt >= cutoff) continue;
        forget(id, t);
        dropped.expired++;
      }
    },
    stats: () => ({ traces: traces.size, spans, dropped: { ...dropped } }),
  };
}
