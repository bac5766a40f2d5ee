// A Fieldlab whose shadow path a test can watch: the pairs the mirror hands to compare (through the
// app's pair tap) and a wait until no shadow copy is queued or in flight. Extra observers (an
// in-memory tracer, a second metrics registry) go through startApp's `observers` option.
import type { ComparePair } from '../../src/compare/types.js';
import type { ConfigManager } from '../../src/config/manager.js';
import type { ExchangeObserver } from '../../src/telemetry/hooks.js';
import { startFieldlab, type TestFieldlab } from './servers.js';

/** A running Fieldlab plus what its mirror produced. */
export interface WatchedFieldlab extends TestFieldlab {
  readonly config: ConfigManager;
  /** Shadow pairs, in the order they reached the compare pipeline. */
  readonly pairs: ComparePair[];
  /** Resolves once no shadow copy is queued or in flight (throws after ~5 s). */
  shadowsSettled(): Promise<void>;
  /** Resolves once every captured pair has been compared. */
  comparedAll(): Promise<void>;
}

/**
 * Starts Fieldlab on `yaml` with `observers` before the built-in ones, recording every pair.
 * @example const fl = await startWatchedFieldlab(yaml, [tracing.observer]); … fl.pairs[0]!.traceId
 */
export async function startWatchedFieldlab(yaml: string, observers: readonly ExchangeObserver[] = []): Promise<WatchedFieldlab> {
  const pairs: ComparePair[] = [];
  const fl = await startFieldlab(yaml, { observers, pairTap: { pair: (p) => void pairs.push(p) } });
  const { app } = fl;
  return {
    ...fl,
    config: app.config,
    pairs,
    async shadowsSettled() {
      for (let i = 0; i < 500; i++) {
        const s = app.mirrorStats().dispatcher;
        if (s.inFlight === 0 && s.queued === 0) return;
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('shadow copies did not settle');
    },
    comparedAll: () => app.flushDiffs(),
  };
}
