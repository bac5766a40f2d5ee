/**
 * Where received spans wait for the pairs that need them: per trace id, bounded five ways —
 * traces held and spans held in total (the oldest trace goes first), spans per trace, new traces
 * per batch (one request must not churn the whole buffer on the main thread), and age (a trace
 * untouched for `holdMs` is forgotten). Every span or trace let go before it could be used is
 * counted by reason.
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
  readonly dropped: {
    readonly traces: number;
    readonly spans: number;
    readonly expired: number;
  };
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
  /** Spans held across all traces (default 1,000,000 ≈ 200 MB); beyond, the oldest trace goes. */
  readonly maxSpans?: number;
  /**
   * New traces one `add` may start (default maxTraces / 10, at least 100); spans of further new
   * traces in that batch are dropped and counted, so one request cannot churn the whole buffer.
   */
  readonly maxNewTracesPerBatch?: number;
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
  // Why a FIFO beside the Map: `traces.entries().next()` scans the holes deleted entries leave
  // until V8 rehashes, so evicting that way is quadratic (a 72k-trace batch took ~1 s). The queue
  // holds each trace object as inserted; an entry whose trace was swept (or replaced) is skipped.
  let queue: { id: string; t: HeldTrace }[] = [];
  let head = 0;
  const maxSpans = opts.maxSpans ?? 1_000_000;
  const maxNew = opts.maxNewTracesPerBatch ?? Math.max(100, Math.ceil(opts.maxTraces / 10));
  let spans = 0;
  const dropped = { traces: 0, spans: 0, expired: 0 };
  const forget = (id: string, t: HeldTrace) => {
    traces.delete(id);
    spans -= t.spans.length;
  };
  /** Lets the oldest held trace go unless it is `keep`; false when nothing was let go. */
  const evictOldest = (keep?: HeldTrace): boolean => {
    let evicted = false;
    while (head < queue.length) {
      const e = queue[head] as { id: string; t: HeldTrace };
      if (traces.get(e.id) !== e.t) {
        head++;
        continue;
      }
      if (e.t === keep) break;
      head++;
      forget(e.id, e.t);
      dropped.traces++;
      evicted = true;
      break;
    }
    // Compact once half the queue is consumed: amortised O(1) per trace.
    if (head > 1024 && head * 2 > queue.length) {
      queue = queue.slice(head);
      head = 0;
    }
    return evicted;
  };
  return {
    add(batch) {
      const at = now();
      let started = 0;
      for (const s of batch) {
        let t = traces.get(s.traceId);
        if (!t) {
          if (started >= maxNew) {
            dropped.spans++;
            continue;
          }
          while (traces.size > 0 && traces.size >= opts.maxTraces && evictOldest()) {}
          started++;
          t = { spans: [], lastAt: at };
          traces.set(s.traceId, t);
          queue.push({ id: s.traceId, t });
        }
        if (t.spans.length >= opts.maxSpansPerTrace) {
          dropped.spans++;
          continue;
        }
        // Total cap: make room by letting the oldest traces go (never the one being filled).
        while (spans >= maxSpans && evictOldest(t)) {}
        if (spans >= maxSpans) {
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
      // Swept traces leave dead queue entries; drop them here (sweep is O(held) anyway).
      queue = queue.slice(head).filter((e) => traces.get(e.id) === e.t);
      head = 0;
    },
    stats: () => ({ traces: traces.size, spans, dropped: { ...dropped } }),
  };
}
