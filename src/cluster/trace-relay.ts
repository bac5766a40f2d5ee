/**
 * Span-tree diffs and arm profiles under `workers: N`: a worker relays what it knows of each traced
 * exchange — the slimmed pair (ids, statuses, latencies, never bodies) and the sampled arm requests
 * — to the primary, which runs the one OTLP receiver, span buffer, join and profiles of the group.
 *
 * Why the exchange moves to the spans and not the spans to the exchange: the receiver is one
 * address, so every span lands on the primary first. A slim pair is ~300 bytes; the spans of one
 * trace are tens to thousands of spans. Routing spans to workers would need the primary to learn
 * which worker waits for which trace id anyway (one IPC item per exchange, as here), hold spans that
 * arrive before that announcement (a buffer, as here), and then copy every span across IPC a second
 * time. Moving the small side keeps one buffer, one join and one profile per group — so the
 * profiles in /experiments.json and every trace metric are the group's without a merge step.
 *
 * Bounded like the dashboard's seconds: items queue in an outbox of MAX_LIVE_SECONDS per kind and
 * go out every FLUSH_MS over the bounded channel; beyond, or when the channel refuses, they are
 * dropped and the count rides along with the next message (fieldlab_worker_ipc_dropped_total{kind="traces"}).
 */
import type { PairTap } from '../mirror/sink-tap.js';
import { slimPair } from '../traces/trace-join.js';
import type { Channel } from './channel.js';
import { MAX_LIVE_SECONDS, type WorkerMessage } from './protocol.js';
import type { RelayedNote, RelayedPair } from './trace-items.js';

/** The worker's relay: a pair tap and a profile note sink, flushed from a timer. */
export interface TraceRelay {
  readonly tap: Required<Pick<PairTap, 'pair'>>;
  note(route: string, arm: string, traceId: string, spanId: string): void;
  /** Sends what is queued now (the timer; stop). */
  flush(): void;
  stop(): void;
}

/** How often queued items go to the primary: the join looks at its list every 250 ms too. */
const FLUSH_MS = 250;

/**
 * Starts the relay's timer (unref'd).
 * @example const relay = createTraceRelay(channel); sink = tapPairSink(pipeline, relay.tap)
 */
export function createTraceRelay(channel: Channel<WorkerMessage>): TraceRelay {
  let pairs: RelayedPair[] = [];
  let notes: RelayedNote[] = [];
  let untraced = 0;
  let dropped = 0;
  const flush = () => {
    if (pairs.length === 0 && notes.length === 0 && untraced === 0 && dropped === 0) return;
    const m: WorkerMessage = { t: 'traced', pairs, notes, untraced, dropped };
    const lost = pairs.length + notes.length;
    pairs = [];
    notes = [];
    untraced = 0;
    dropped = 0;
    // A refused message's items are counted with the next one (the primary sums every `dropped`).
    if (channel.send(m)) return;
    dropped += lost + m.dropped;
    untraced += m.untraced;
  };
  const timer = setInterval(flush, FLUSH_MS);
  timer.unref();
  return {
    tap: {
      pair(pair, _shadow, kind) {
        if (pair.traceId === undefined || pair.spans === undefined) untraced++;
        else if (pairs.length >= MAX_LIVE_SECONDS) dropped++;
        else pairs.push({ pair: slimPair(pair, pair.spans), kind });
      },
    },
    note(route, arm, traceId, spanId) {
      if (notes.length >= MAX_LIVE_SECONDS) dropped++;
      else notes.push({ route, arm, traceId, spanId });
    },
    flush,
    stop() {
      clearInterval(timer);
      flush();
    },
  };
}
