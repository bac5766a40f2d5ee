// Replay must compare every replayed record. Its loop (replay/replay-run.ts) starts a request only
// while `pipeline.accepting()`, then pairs each answer without checking again; with `--concurrency N`
// N answers can land between two drains. The pipeline cli/replay.ts builds (maxShare 0.6, default
// queue) must take a full window of them: a default queue cut to 64 pairs dropped answers past the
// 64th as compare_dropped.
import { describe, expect, it } from 'vitest';
import { createComparePipeline } from '../../../src/compare/pipeline.js';
import type { ComparePair } from '../../../src/compare/types.js';
import type { CompiledShadow } from '../../../src/mirror/shadow-spec.js';
import type { DiffBatcher } from '../../../src/storage/batcher.js';

// A pair without responses fails to compare (internal-error, not a drop): enough to exercise the queue.
const broken = { route: 'r', shadow: 'dark' } as ComparePair;
const shadow = { name: 'dark' } as CompiledShadow;
const skips: string[] = [];
const batcher = { skip: (_r: string, _s: string, reason: string) => void skips.push(reason) } as unknown as DiffBatcher;

describe("replay's compare pipeline", () => {
  it('drops none of the answers of a full --concurrency 100 window', async () => {
    const pipeline = createComparePipeline({ batcher, maxShare: 0.6 }); // as cli/replay.ts
    // replay-run: a request starts while running < concurrency and the pipeline accepts.
    let running = 0;
    while (running < 100 && pipeline.accepting()) running++;
    expect(running).toBe(100);
    // The answers come back together (one timers phase) and each is paired.
    for (let i = 0; i < running; i++) pipeline.pair(broken, shadow, 'shadow');
    await pipeline.idle();
    expect(skips.filter((s) => s === 'compare_dropped')).toEqual([]);
    expect(pipeline.stats()).toMatchObject({ dropped: 0, failed: 100 });
  });
});
