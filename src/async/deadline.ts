/**
 * One way to wait for something with a deadline: shutdown steps (drain, pending compares, webhook
 * deliveries, span export) each get a bounded grace, so a stuck dependency delays a stop by at most
 * that long and never forever.
 */

/**
 * Waits for `work` or `ms`, whichever comes first, and clears the timer either way. A rejection
 * counts as settled: a step that failed is finished as far as the waiter is concerned.
 * @example if ((await raceDeadline(pipeline.idle(), 2_000)) === 'deadline') log.warn('compares cut short')
 */
export async function raceDeadline(work: Promise<unknown>, ms: number): Promise<'settled' | 'deadline'> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<'deadline'>((resolve) => (timer = setTimeout(() => resolve('deadline'), ms)));
  const settled = work.then(
    () => 'settled' as const,
    () => 'settled' as const,
  );
  try {
    return await Promise.race([settled, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

/** The grace each background stage gets to finish its work at shutdown (ms). */
export const SHUTDOWN_GRACE_MS = 2_000;
