// The replay's rate limit on a fake clock: request i goes out at start + i/rate, never in a burst.
import { describe, expect, it } from 'vitest';
import { createPacer, type PacerClock } from '../../../src/replay/pacer.js';

function fakeClock(): PacerClock & { t: number } {
  const c = {
    t: 1000,
    now: () => c.t,
    sleep: async (ms: number) => void (c.t += ms),
  };
  return c;
}

describe('createPacer', () => {
  it('hands out one slot per 1/rate: 4/s sends 10 requests at 0, 250, …, 2250 ms', async () => {
    const clock = fakeClock();
    const pacer = createPacer(4, clock);
    const at: number[] = [];
    for (let i = 0; i < 10; i++) {
      await pacer.next();
      at.push(clock.t - 1000);
    }
    expect(at).toEqual([0, 250, 500, 750, 1000, 1250, 1500, 1750, 2000, 2250]);
    expect(pacer.sent).toBe(10);
    // Within any second, at most rate + 1 sends (the boundary slot included).
    for (let s = 0; s < 2; s++) expect(at.filter((t) => t >= s * 1000 && t <= s * 1000 + 1000).length).toBeLessThanOrEqual(5);
  });

  it('does not burst to catch up after a slow answer: it restarts the schedule from now', async () => {
    const clock = fakeClock();
    const pacer = createPacer(10, clock);
    await pacer.next();
    await pacer.next();
    clock.t += 5000; // the candidate was slow
    const before = clock.t;
    await pacer.next();
    await pacer.next();
    await pacer.next();
    expect(clock.t - before).toBe(200);
  });

  it('waits for nothing without a rate', async () => {
    const clock = fakeClock();
    const pacer = createPacer(0, clock);
    for (let i = 0; i < 100; i++) await pacer.next();
    expect(clock.t).toBe(1000);
  });
});
