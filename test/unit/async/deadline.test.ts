// The one deadline race shutdown uses: settled work wins, a stuck one loses at the deadline, and the
// timer never outlives the race.
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { raceDeadline } from '../../../src/async/deadline.js';

describe('raceDeadline', () => {
  beforeEach(() => void vi.useFakeTimers());
  afterEach(() => void vi.useRealTimers());

  it('says settled when the work finishes first, resolved or rejected, and clears its timer', async () => {
    expect(await raceDeadline(Promise.resolve(1), 1_000)).toBe('settled');
    expect(await raceDeadline(Promise.reject(new Error('boom')), 1_000)).toBe('settled');
    expect(vi.getTimerCount()).toBe(0);
  });

  it('says deadline when the work is still pending at the deadline', async () => {
    const race = raceDeadline(new Promise(() => undefined), 2_000);
    await vi.advanceTimersByTimeAsync(1_999);
    let done = false;
    void race.then(() => (done = true));
    await Promise.resolve();
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    expect(await race).toBe('deadline');
    expect(vi.getTimerCount()).toBe(0);
  });
});
