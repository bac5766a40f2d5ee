/**
 * A token bucket of bytes per second, one per shadow: it bounds how many shadow-response bytes the
 * proxy's event loop reads, whatever the shadow sends. The bucket holds one second's worth (the
 * burst) and refills continuously; reads may take it into debt, and while it is empty no new copy
 * starts and running downloads are cut (both counted by the dispatcher).
 */

/** A bytes-per-second budget. */
export interface ByteBudget {
  /** The configured rate (0: unlimited). */
  readonly perSecond: number;
  /** True while there are bytes left to spend at `now` (ms, performance.now()). */
  available(now: number): boolean;
  /** Spends `bytes`; returns false when the budget is now exhausted. */
  take(bytes: number, now: number): boolean;
}

/**
 * Creates a budget of `perSecond` bytes (0 or Infinity: unlimited).
 * @example const b = createByteBudget(32 * 2 ** 20, performance.now()); b.take(chunk.length, performance.now())
 */
export function createByteBudget(perSecond: number, now: number): ByteBudget {
  if (!(perSecond > 0) || perSecond === Number.POSITIVE_INFINITY) return { perSecond: 0, available: () => true, take: () => true };
  let tokens = perSecond;
  let last = now;
  const refill = (t: number) => {
    if (t > last) tokens = Math.min(perSecond, tokens + ((t - last) * perSecond) / 1000);
    last = t;
  };
  return {
    perSecond,
    available(t) {
      refill(t);
      return tokens > 0;
    },
    take(bytes, t) {
      refill(t);
      tokens -= bytes;
      return tokens > 0;
    },
  };
}
