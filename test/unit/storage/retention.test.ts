// Retention pruning: each store gets the cutoff the live retention gives, a failing store is
// reported without keeping the others from pruning, and the hourly timer runs until stopped.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createRetention } from '../../../src/storage/retention.js';

describe('createRetention', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('prunes every store older than now − retention, reading the retention at each run', async () => {
    const cut: number[][] = [[], []];
    let retention = 1_000;
    const errors: unknown[] = [];
    const r = createRetention({
      stores: [{ prune: (b) => cut[0]!.push(b) }, { prune: async (b) => void cut[1]!.push(b) }],
      retentionMs: () => retention,
      onError: (err) => errors.push(err),
      now: () => 10_000,
      everyMs: 60_000,
    });
    await r.prune();
    retention = 4_000;
    await vi.advanceTimersByTimeAsync(60_000);
    expect(cut).toEqual([
      [9_000, 6_000],
      [9_000, 6_000],
    ]);
    r.stop();
    await vi.advanceTimersByTimeAsync(120_000);
    expect(cut[0]).toHaveLength(2);
    expect(errors).toEqual([]);
  });

  it('reports a failing store and still prunes the rest', async () => {
    const pruned: number[] = [];
    const errors: unknown[] = [];
    const boom = new Error('disk full');
    const r = createRetention({
      stores: [
        {
          prune: () => {
            throw boom;
          },
        },
        { prune: (b) => pruned.push(b) },
      ],
      retentionMs: () => 5,
      onError: (err) => errors.push(err),
      now: () => 100,
    });
    await r.prune();
    r.stop();
    expect(errors).toEqual([boom]);
    expect(pruned).toEqual([95]);
  });
});
