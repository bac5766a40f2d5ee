/**
 * A decorating pair sink: hands every shadow pair and skip to a tap before the real sink, so an
 * embedder or a test can watch what the mirror produced without a second composition root.
 */
import type { PairSink } from './mirror.js';

/** What a tap sees: the pairs and skips, in the order the mirror produced them. */
export type PairTap = Partial<Pick<PairSink, 'pair' | 'skip'>>;

/**
 * Wraps `sink` so `tap` sees each call first.
 * @example const sink = tapPairSink(pipeline, { pair: (p) => pairs.push(p) })
 */
export function tapPairSink(sink: PairSink, tap: PairTap): PairSink {
  return {
    accepting: () => sink.accepting(),
    reserve: () => sink.reserve?.(),
    release: () => sink.release?.(),
    pair(p, shadow, kind) {
      tap.pair?.(p, shadow, kind);
      sink.pair(p, shadow, kind);
    },
    skip(route, shadow, reason) {
      tap.skip?.(route, shadow, reason);
      sink.skip(route, shadow, reason);
    },
  };
}
