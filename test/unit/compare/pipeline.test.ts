// The compare pipeline's admission: pairs queue up to maxQueue, and while comparing is behind (a
// slice ended with pairs still queued) every captured copy still waiting for its shadow counts
// against the queue's room, so a copy that would be dropped at pairing isn't captured at all.
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { LoopClock } from '../../../src/compare/duty-cycle.js';
import { createComparePipeline } from '../../../src/compare/pipeline.js';
import type { ComparePair } from '../../../src/compare/types.js';
import type { CompiledShadow } from '../../../src/mirror/shadow-spec.js';
import type { DiffBatcher } from '../../../src/storage/batcher.js';

// A pair without responses fails to compare (counted as internal-error): enough to exercise the queue.
const broken = { route: 'r', shadow: 'dark' } as ComparePair;
const shadow = { name: 'dark' } as CompiledShadow;
const batcher = { skip: () => undefined } as unknown as DiffBatcher;
const spin = (ms: number) => {
  for (const until = performance.now() + ms; performance.now() < until; );
};

describe('compare pipeline admission', () => {
  it('counts copies in flight against the room only while comparing is behind', async () => {
    // Each pair takes longer than a slice, so the first slice compares one and leaves the rest.
    const pipeline = createComparePipeline({
      batcher,
      maxQueue: 4,
      sliceMs: 1,
      onError: () => spin(2),
    });
    pipeline.reserve();
    pipeline.reserve();
    for (let i = 0; i < 3; i++) pipeline.pair(broken, shadow, 'shadow');
    // Not behind yet: the two in flight will find room as they arrive.
    expect(pipeline.accepting()).toBe(true);
    await new Promise((r) => setImmediate(r));
    expect(pipeline.stats()).toMatchObject({ queued: 2, failed: 1 });
    // Behind: 2 queued + 2 in flight fill the 4 places.
    expect(pipeline.accepting()).toBe(false);
    pipeline.release();
    expect(pipeline.accepting()).toBe(true);
    await pipeline.idle();
    expect(pipeline.stats()).toMatchObject({
      queued: 0,
      failed: 3,
      dropped: 0,
    });
  });
});

describe('compare pipeline duty cycle', () => {
  afterEach(() => vi.useRealTimers());

  it('rests after a slice that emptied the queue too: a pair arriving during the rest waits for it', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'setImmediate'] });
    // A fake clock: each pair takes 1 ms; at a 10% share a 1 ms slice is followed by a 9 ms rest.
    let t = 0;
    const clock: LoopClock = { now: () => t, elu: () => ({ idle: 0, active: 0 }) };
    const pipeline = createComparePipeline({ batcher, clock, maxShare: 0.1, onError: () => void (t += 1) });
    pipeline.pair(broken, shadow, 'shadow');
    await vi.advanceTimersByTimeAsync(0);
    expect(pipeline.stats()).toMatchObject({ queued: 0, failed: 1 });
    pipeline.pair(broken, shadow, 'shadow');
    await vi.advanceTimersByTimeAsync(0);
    expect(pipeline.stats()).toMatchObject({ queued: 1, failed: 1 });
    await vi.advanceTimersByTimeAsync(9);
    expect(pipeline.stats()).toMatchObject({ queued: 0, failed: 2 });
  });
});
