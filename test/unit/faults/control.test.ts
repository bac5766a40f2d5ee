// The kill switch and maxActive: off skips every drawn fault (counted) and releases held delays at
// once; over the cap a drawn fault is skipped (counted) until one ends.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { admitFault, endFault, faultState, holdDelay, setFaultShare, setFaultsEnabled, shareOf } from '../../../src/faults/control.js';
import { faultCounts } from '../../../src/faults/fault-stats.js';

const ABORT = { kind: 'abort' } as const;

describe('fault control', () => {
  afterEach(() => {
    setFaultsEnabled(true);
    vi.useRealTimers();
  });

  it('caps faults in progress per route at maxActive, counting the skips', () => {
    expect(admitFault('cap', ABORT, 2)).toBe(ABORT);
    expect(admitFault('cap', ABORT, 2)).toBe(ABORT);
    expect(admitFault('cap', ABORT, 2)).toBeUndefined();
    expect(faultState().active.cap).toBe(2);
    endFault('cap');
    expect(admitFault('cap', ABORT, 2)).toBe(ABORT);
    expect(faultCounts().cap).toMatchObject({
      injected: { abort: 3, reset: 0, delay: 0 },
      skipped: { off: 0, 'max-active': 1 },
    });
  });

  it('off skips every drawn fault and releases held delays at once; on allows them again', () => {
    vi.useFakeTimers();
    const released: string[] = [];
    holdDelay(60_000, () => released.push('a'));
    holdDelay(60_000, () => released.push('b'));
    setFaultsEnabled(false);
    expect(released).toEqual(['a', 'b']);
    expect(faultState().enabled).toBe(false);
    expect(admitFault('off', ABORT, 10)).toBeUndefined();
    expect(faultCounts().off!.skipped.off).toBe(1);
    vi.advanceTimersByTime(60_000);
    expect(released).toEqual(['a', 'b']); // each once
    setFaultsEnabled(true);
    expect(admitFault('off', ABORT, 10)).toBe(ABORT);
  });

  it('a share of maxActive: the parts of every rank add up to exactly the cap; no view, no part', () => {
    try {
      for (const [cap, of] of [
        [10, 3],
        [3, 2],
        [2, 5],
        [100, 7],
      ] as const) {
        const parts = Array.from({ length: of }, (_, rank) => {
          setFaultShare(rank, of);
          return shareOf(cap);
        });
        expect(parts.reduce((a, b) => a + b, 0)).toBe(cap);
        expect(Math.max(...parts) - Math.min(...parts)).toBeLessThanOrEqual(1);
      }
      setFaultShare(1, 2);
      expect(shareOf(3)).toBe(1);
      expect(admitFault('shared', ABORT, 3)).toBe(ABORT);
      expect(admitFault('shared', ABORT, 3)).toBeUndefined();
      setFaultShare(0, 0);
      endFault('shared');
      expect(admitFault('shared', ABORT, 3)).toBeUndefined();
    } finally {
      setFaultShare(0, 1);
    }
  });
});
