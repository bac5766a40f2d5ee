/**
 * Span-tree diffs, composed: the receiver fills the span buffer (and feeds the pass-through), the
 * join pairs mirrored exchanges with their spans and writes trace fields through the diff batcher.
 * Loaded only when `traces:` is configured: without it no listener, no buffer, no timer.
 */
import type { RawTraces } from '../config/schema-traces.js';
import type { DiffBatcher } from '../storage/batcher.js';
import type { ProfileRow } from '../storage/profile-rows.js';
import type { MetricFamily } from '../telemetry/prom-text.js';
import { createArmProfiles, type ArmProfileStats, type ArmProfiles } from './arm-profiles.js';
import { createDecodePool } from './decode-pool.js';
import { createPassThrough, type PassThroughStats } from './pass-through.js';
import { createTraceReceiver, type ReceiverStats } from './receiver.js';
import { createSpanBuffer, type SpanBufferStats } from './span-buffer.js';
import { createTraceJoin, type TraceJoin, type TraceJoinStats } from './trace-join.js';
import type { Server } from 'node:http';

/** Every counter of the traces side (GET /mirror, metrics). */
export interface TracesStats {
  readonly receiver: ReceiverStats;
  readonly buffer: SpanBufferStats;
  readonly join: TraceJoinStats;
  readonly passThrough: PassThroughStats | undefined;
  readonly profiles: ArmProfileStats;
}

/** The running traces side. */
export interface Traces {
  readonly server: Server;
  readonly join: TraceJoin;
  /** Dependency profiles of split routes' arms (GET /experiments.json `profile`). */
  readonly profiles: ArmProfiles;
  stats(): TracesStats;
  /** Prometheus families for the scrape. */
  metrics(): MetricFamily[];
  /** Diffs what can be diffed now (tests), then waits for the pass-through. */
  flush(all?: boolean): Promise<void>;
  stop(): Promise<void>;
}

/** Test and embedding knobs. */
export interface TracesOptions {
  /** Quiet time before a trace's trees count as complete (default 1 s). */
  readonly settleMs?: number;
  readonly onError?: (what: string, err: unknown) => void;
  /** The stored arm-profile rows (DiffStore.profiles); without it profiles live in memory. */
  readonly storedProfiles?: (route: string, since: number) => Promise<ProfileRow[]>;
}

/**
 * Builds the traces side over the diff batcher (start the server with `listen`).
 * @example const traces = createTraces(cfg.traces, batcher); await listen(traces.server, host, port); sink = tapPairSink(pipeline, traces.join.tap)
 */
export function createTraces(cfg: RawTraces, batcher: DiffBatcher, opts: TracesOptions = {}): Traces {
  // Spans are held a little longer than a pair waits: a pair that arrives late still finds them.
  const buffer = createSpanBuffer({
    maxTraces: cfg.maxTraces,
    maxSpansPerTrace: cfg.maxSpansPerTrace,
    maxSpans: cfg.maxSpans,
    holdMs: cfg.wait * 2,
  });
  const passThrough = cfg.forward
    ? createPassThrough({ url: cfg.forward, onError: (err) => opts.onError?.('pass-through', err) })
    : undefined;
  const decoder = createDecodePool();
  const receiver = createTraceReceiver({ maxBody: cfg.maxBody, spans: (s) => buffer.add(s), passThrough, decoder });
  const join = createTraceJoin({
    buffer,
    batcher,
    waitMs: cfg.wait,
    maxPending: cfg.maxPending,
    ...(opts.settleMs !== undefined ? { settleMs: opts.settleMs } : {}),
    onError: (err) => opts.onError?.('span-tree diff', err),
  });
  const profiles = createArmProfiles({
    buffer,
    waitMs: cfg.wait,
    maxPending: cfg.maxPending,
    maxOps: cfg.profileOps,
    // Stored through the batcher, read back from the store: the profile outlives a restart.
    ...(opts.storedProfiles ? { sink: batcher, stored: opts.storedProfiles } : {}),
    ...(opts.settleMs !== undefined ? { settleMs: opts.settleMs } : {}),
  });
  const stats = (): TracesStats => ({
    receiver: receiver.stats(),
    buffer: buffer.stats(),
    join: join.stats(),
    passThrough: passThrough?.stats(),
    profiles: profiles.stats(),
  });
  return {
    server: receiver.server,
    join,
    profiles,
    stats,
    metrics: () => traceFamilies(stats()),
    async flush(all = false) {
      join.drain(all);
      profiles.drain(all);
      await passThrough?.idle();
    },
    async stop() {
      join.stop();
      profiles.stop();
      await decoder.close();
      await passThrough?.idle();
      await passThrough?.close();
    },
  };
}

function traceFamilies(s: TracesStats): MetricFamily[] {
  const counter = (name: string, help: string, samples: { labels?: Record<string, string>; value: number }[]): MetricFamily => ({
    name,
    help,
    type: 'counter',
    samples,
  });
  const out: MetricFamily[] = [
    counter('fieldlab_traces_received_spans_total', 'Spans received by the OTLP receiver, by result', [
      { labels: { result: 'accepted' }, value: s.receiver.spans },
      { labels: { result: 'invalid' }, value: s.receiver.invalidSpans },
      { labels: { result: 'dropped_per_trace' }, value: s.buffer.dropped.spans },
    ]),
    counter(
      'fieldlab_traces_refused_total',
      'OTLP requests refused, by error code',
      Object.entries(s.receiver.refused).map(([code, value]) => ({ labels: { code }, value })),
    ),
    counter('fieldlab_traces_dropped_traces_total', 'Held traces let go, by reason', [
      { labels: { reason: 'full' }, value: s.buffer.dropped.traces },
      { labels: { reason: 'expired' }, value: s.buffer.dropped.expired },
    ]),
    {
      name: 'fieldlab_traces_held',
      help: 'Traces held for pairs waiting on their spans',
      type: 'gauge',
      samples: [{ value: s.buffer.traces }],
    },
    {
      name: 'fieldlab_traces_pending_pairs',
      help: 'Traced pairs waiting for their spans',
      type: 'gauge',
      samples: [{ value: s.join.pending }],
    },
    counter('fieldlab_traces_pairs_total', 'Mirrored pairs by what the span join made of them', [
      { labels: { result: 'compared' }, value: s.join.compared },
      { labels: { result: 'missing' }, value: s.join.missing },
      { labels: { result: 'dropped' }, value: s.join.dropped },
      { labels: { result: 'untraced' }, value: s.join.untraced },
    ]),
    counter('fieldlab_traces_profiled_requests_total', 'Sampled requests of split routes by what the arm profiles made of them', [
      { labels: { result: 'profiled' }, value: s.profiles.profiled },
      { labels: { result: 'missing' }, value: s.profiles.missing },
      { labels: { result: 'dropped' }, value: s.profiles.dropped },
    ]),
  ];
  if (s.passThrough) {
    out.push(
      counter('fieldlab_traces_forwarded_batches_total', 'Batches sent on by the pass-through, by result', [
        { labels: { result: 'forwarded' }, value: s.passThrough.forwarded },
        { labels: { result: 'failed' }, value: s.passThrough.failed },
        { labels: { result: 'dropped' }, value: s.passThrough.dropped },
      ]),
    );
  }
  return out;
}
