/**
 * The request recorder: captured exchanges wait in a bounded queue (count and bytes) and a timer
 * turns them into stored samples once a second — redaction, hashing and encoding happen there, in
 * slices that yield to client traffic, never on the request path. The store writes a batch under
 * the caps of the live config and says what it refused; everything not stored is counted by route
 * and reason (`fieldlab_record_dropped_total`), nothing waits and nothing throws.
 */
import type { Snapshot } from '../config/compile.js';
import type { MetricFamily } from '../telemetry/prom-text.js';
import type { RecordCaps, RecordedSample, RecordStore } from '../storage/record-types.js';
import type { Prunable } from '../storage/retention.js';
import { type CapturedExchange, toSample } from './to-sample.js';

export type { CapturedExchange } from './to-sample.js';

/** Why a chosen request was not stored. */
export type RecordDrop =
  | 'busy' // too many captures in flight
  | 'bandwidth' // the route's byte budget was empty
  | 'body_too_large' // the request body outgrew record.maxBody
  | 'client_aborted'
  | 'no_response' // the primary failed: nothing to replay against
  | 'unredactable' // a request body that could not be read whole to redact it
  | 'queue_full' // the queue between requests and the store was full
  | 'store_failed' // the batch write failed
  | 'route_samples' // caps, as the store applied them
  | 'route_bytes'
  | 'total_samples'
  | 'total_bytes'
  | 'not_recording';

/** Recorder counters. */
export interface RecorderStats {
  readonly queued: number;
  readonly stored: Readonly<Record<string, number>>;
  readonly dropped: Readonly<Record<string, Readonly<Record<string, number>>>>;
}

/** The running recorder. */
export interface RequestRecorder {
  /** Queues a captured exchange (or drops and counts it when the queue is full). */
  offer(x: CapturedExchange): void;
  /** Counts a chosen request that was not captured. */
  drop(route: string, reason: RecordDrop): void;
  /** Writes everything queued now; resolves once stored or dropped (never rejects). */
  flush(): Promise<void>;
  stats(): RecorderStats;
  /** The `fieldlab_record_*` families. */
  metrics(): MetricFamily[];
  /** Retention: per route `record.retention`, everything else at `store.retention`. */
  readonly prunable: Prunable;
  stop(): Promise<void>;
}

/** Bounds of the queue between the request path and the store. */
export interface RecorderLimits {
  readonly maxQueue?: number;
  readonly maxQueueBytes?: number;
}

/**
 * Creates the recorder over the store's records repository.
 * @example const rec = createRequestRecorder({ store: stores.records, current: config.current }); createRecordTap({ recorder: rec })
 */
export function createRequestRecorder(deps: {
  readonly store: Pick<RecordStore, 'writeRecords' | 'pruneRecords'>;
  readonly current: () => Snapshot;
  readonly flushMs?: number;
  readonly limits?: RecorderLimits;
  readonly onError?: (err: unknown) => void;
}): RequestRecorder {
  const maxQueue = deps.limits?.maxQueue ?? 1024;
  const maxQueueBytes = deps.limits?.maxQueueBytes ?? 32 * 2 ** 20;
  let queue: CapturedExchange[] = [];
  let queuedBytes = 0;
  const stored = new Map<string, number>();
  const dropped = new Map<string, Map<string, number>>();
  let writing: Promise<void> | undefined;

  const drop = (route: string, reason: RecordDrop, n = 1) => {
    let m = dropped.get(route);
    if (!m) dropped.set(route, (m = new Map()));
    m.set(reason, (m.get(reason) ?? 0) + n);
  };
  const sizeOf = (x: CapturedExchange) => (x.requestBody?.length ?? 0) + x.response.body.length + 512;

  const flush = (): Promise<void> => {
    if (writing) return writing;
    if (queue.length === 0) return Promise.resolve();
    const batch = queue;
    queue = [];
    queuedBytes = 0;
    const write = async () => {
      const samples = await toSamples(batch, drop);
      if (samples.length === 0) return;
      try {
        const outcomes = await deps.store.writeRecords(samples, capsOf(deps.current()));
        outcomes.forEach((outcome, i) => {
          const route = samples[i]!.route;
          if (outcome === 'stored') stored.set(route, (stored.get(route) ?? 0) + 1);
          else drop(route, outcome);
        });
      } catch (err) {
        for (const x of samples) drop(x.route, 'store_failed');
        deps.onError?.(err);
      }
    };
    writing = write().finally(() => {
      writing = undefined;
    });
    return writing;
  };
  const timer = setInterval(() => void flush(), deps.flushMs ?? 1000);
  timer.unref();

  const stats = (): RecorderStats => ({
    queued: queue.length,
    stored: Object.fromEntries(stored),
    dropped: Object.fromEntries([...dropped].map(([route, m]) => [route, Object.fromEntries(m)])),
  });

  return {
    offer(x) {
      const size = sizeOf(x);
      if (queue.length >= maxQueue || queuedBytes + size > maxQueueBytes) return drop(x.route, 'queue_full');
      queue.push(x);
      queuedBytes += size;
    },
    drop,
    async flush() {
      await writing;
      await flush();
    },
    stats,
    metrics: () => recordFamilies(stats()),
    prunable: {
      async prune(before) {
        const now = Date.now();
        for (const r of deps.current().config.routes) if (r.record) await deps.store.pruneRecords(now - r.record.retention, r.name);
        return deps.store.pruneRecords(before);
      },
    },
    async stop() {
      clearInterval(timer);
      await writing;
      await flush();
    },
  };
}

/** The caps of the live config: every recording route's own, and the store's total. */
function capsOf(snap: Snapshot): RecordCaps {
  const routes: Record<string, { maxSamples: number; maxBytes: number }> = {};
  for (const r of snap.routes) if (r.record) routes[r.name] = r.record.cap;
  return { routes, total: snap.config.store.recordings };
}

/**
 * Redacts and encodes a batch in slices of ~2 ms, yielding to I/O between them (like the compare
 * pipeline's duty cycle), so a full queue never holds the event loop for long.
 */
async function toSamples(batch: readonly CapturedExchange[], drop: (route: string, reason: RecordDrop) => void): Promise<RecordedSample[]> {
  const out: RecordedSample[] = [];
  let sliceEnd = performance.now() + 2;
  for (const x of batch) {
    if (performance.now() > sliceEnd) {
      await new Promise((r) => setImmediate(r));
      sliceEnd = performance.now() + 2;
    }
    try {
      const s = toSample(x);
      if (s) out.push(s);
      else drop(x.route, 'unredactable');
    } catch {
      // One odd exchange is lost, never the batch (or the process).
      drop(x.route, 'unredactable');
    }
  }
  return out;
}

/**
 * The recorder's Prometheus families.
 * @example recordFamilies(recorder.stats())
 */
export function recordFamilies(s: RecorderStats): MetricFamily[] {
  return [
    {
      name: 'fieldlab_record_samples_total',
      help: 'Requests recorded (stored with their primary response) by route',
      type: 'counter',
      samples: Object.entries(s.stored).map(([route, value]) => ({
        labels: { route },
        value,
      })),
    },
    {
      name: 'fieldlab_record_dropped_total',
      help: 'Requests chosen for recording but not stored, by route and reason (caps, queue, budget, body)',
      type: 'counter',
      samples: Object.entries(s.dropped).flatMap(([route, m]) =>
        Object.entries(m).map(([reason, value]) => ({
          labels: { route, reason },
          value,
        })),
      ),
    },
    {
      name: 'fieldlab_record_queued',
      help: 'Captured requests waiting for the next record batch',
      type: 'gauge',
      samples: [{ value: s.queued }],
    },
  ];
}

/**
 * A metrics `collect` callback with the recorder's families added.
 * @example createMetrics({ collect: withRecordMetrics(collectAppState({ config }), recorder.metrics) })
 */
export function withRecordMetrics(collect: () => MetricFamily[], families: () => MetricFamily[]): () => MetricFamily[] {
  return () => [...collect(), ...families()];
}
