/**
 * The replay's rate limit: request i is sent no earlier than start + i / rate, a fixed schedule
 * rather than a bucket, so a candidate never sees a burst however long a previous answer took
 * (a slow answer only delays what comes after it; the schedule never catches up in a rush — once
 * behind by more than one slot it restarts from now). The clock is injected, so tests assert the
 * schedule without sleeping.
 */

/** A clock: performance.now()-like milliseconds and a sleep. */
export interface PacerClock {
  now(): number;
  sleep(ms: number): Promise<void>;
}

/** The real clock. */
export const REAL_CLOCK: PacerClock = {
  now: () => performance.now(),
  sleep: (ms) => new Promise((r) => setTimeout(r, ms)),
};

/** Hands out send slots. */
export interface Pacer {
  /** Resolves when the next request may be sent. */
  next(): Promise<void>;
  /** Slots handed out so far. */
  readonly sent: number;
}

/**
 * Creates a pacer of `perSecond` requests per second (0 or Infinity: no limit).
 * @example const pacer = createPacer(20); for (const s of samples) { await pacer.next(); send(s) }
 */
export function createPacer(perSecond: number, clock: PacerClock = REAL_CLOCK): Pacer {
  const gap = perSecond > 0 && Number.isFinite(perSecond) ? 1000 / perSecond : 0;
  let due: number | undefined;
  let sent = 0;
  return {
    async next() {
      const now = clock.now();
      // Behind by more than a slot (a slow candidate, a pause): start again from now, no burst.
      if (due === undefined || now - due > gap) due = now;
      const wait = due - now;
      due += gap;
      sent++;
      if (wait > 0) await clock.sleep(wait);
    },
    get sent() {
      return sent;
    },
  };
}
