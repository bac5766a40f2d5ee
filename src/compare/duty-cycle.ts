/**
 * How much of the event loop the compare stage may take. Background work never slows clients: while
 * the loop has idle time, comparing may take up to `maxShare` of it; while client traffic alone
 * already fills about the rest (the loop's utilization over the last window, minus compare's own
 * busy time, above 1 − maxShare − MARGIN), comparing at maxShare would take that time from clients, so the
 * share drops to `saturatedShare` until a window shows room again. Under saturation reports need a
 * sample, not every pair: the pairs that don't fit are dropped and counted (compare_dropped).
 */

/**
 * While comparing takes its full share, clients can have at most 1 − maxShare of the loop, so a
 * saturated loop measures right at that line and the rule flipped run to run (measured: on in 4 of 6
 * bench runs). Clients above 1 − maxShare − MARGIN count as saturating: on reliably at saturation,
 * and once the share is low clients get more of the loop, which keeps it on while the load lasts.
 */
const MARGIN = 0.05;

/** Time and event-loop utilization (cumulative, ms), as performance gives them; fake in tests. */
export interface LoopClock {
  now(): number;
  elu(): { readonly idle: number; readonly active: number };
}

/** The real clock: performance.now() and performance.eventLoopUtilization(). */
export const loopClock: LoopClock = {
  now: () => performance.now(),
  elu: () => performance.eventLoopUtilization(),
};

/** The share governor: told compare's busy time, answers the share to rest by. */
export interface CompareShare {
  /** Compare was busy `ms` (one slice). */
  busy(ms: number): void;
  /** The share for the next rest: re-decided once per window from the loop's utilization. */
  share(): number;
}

/**
 * Creates the governor.
 * @example const duty = createCompareShare({ clock: loopClock, maxShare: 0.15, saturatedShare: 0.05 }); rest = busy * (1 / duty.share() - 1)
 */
export function createCompareShare(opts: { clock: LoopClock; maxShare: number; saturatedShare: number; windowMs?: number }): CompareShare {
  const { clock, maxShare, saturatedShare } = opts;
  const windowMs = opts.windowMs ?? 1000;
  let start = clock.now();
  let from = clock.elu();
  let compareMs = 0;
  let current = maxShare;
  return {
    busy(ms) {
      compareMs += ms;
    },
    share() {
      const now = clock.now();
      if (now - start < windowMs) return current;
      const to = clock.elu();
      const active = to.active - from.active;
      const elapsed = active + (to.idle - from.idle);
      if (elapsed > 0) current = (active - compareMs) / elapsed > 1 - maxShare - MARGIN ? saturatedShare : maxShare;
      start = now;
      from = to;
      compareMs = 0;
      return current;
    },
  };
}
