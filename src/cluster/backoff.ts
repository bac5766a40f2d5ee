/**
 * When a crashed worker is started again. The delay doubles with each crash in a row (a worker that
 * stayed up for STABLE_MS is not in a crash loop any more, and its next crash starts from the
 * first delay); after CRASH_LOOP_LIMIT crashes in a row its slot is given up: a worker that dies
 * on every start would otherwise burn a core forever. A given-up slot shows in /readyz (degraded),
 * in GET /workers and in fieldlab_workers_crash_looping.
 */

/** First restart delay. */
export const FIRST_DELAY_MS = 250;
/** Longest restart delay. */
export const MAX_DELAY_MS = 30_000;
/** A worker up this long before it crashed is not crash-looping. */
export const STABLE_MS = 30_000;
/** Crashes in a row after which a slot is not restarted any more. */
export const CRASH_LOOP_LIMIT = 8;

/**
 * What to do after a crash: restart after `delayMs`, or give the slot up.
 * @example nextRestart(0, 1000) // { crashes: 1, delayMs: 250 }
 * @example nextRestart(7, 1000) // { crashes: 8, giveUp: true }
 */
export function nextRestart(crashesInARow: number, upMs: number): { crashes: number; delayMs: number } | { crashes: number; giveUp: true } {
  const crashes = upMs >= STABLE_MS ? 1 : crashesInARow + 1;
  if (crashes >= CRASH_LOOP_LIMIT) return { crashes, giveUp: true };
  return { crashes, delayMs: Math.min(MAX_DELAY_MS, FIRST_DELAY_MS * 2 ** (crashes - 1)) };
}
