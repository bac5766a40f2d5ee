/**
 * Retention: every hour, rows older than `store.retention` are pruned from each store. Read from the
 * live config at each run, so a reload that changes the retention applies at the next prune.
 */

/** Anything that can drop rows older than a time (the diff store, the guardrail store). */
export interface Prunable {
  prune(before: number): unknown;
}

/** The running pruner. */
export interface Retention {
  /** Prunes now (also what the timer does). */
  prune(): Promise<void>;
  stop(): void;
}

/**
 * Starts the hourly prune.
 * @example const retention = createRetention({ stores: [diffs, guardrails], retentionMs: () => cfg().store.retention, onError })
 */
export function createRetention(deps: {
  readonly stores: readonly Prunable[];
  /** The retention now (ms). */
  readonly retentionMs: () => number;
  readonly onError: (err: unknown) => void;
  /** Default one hour. */
  readonly everyMs?: number;
  readonly now?: () => number;
}): Retention {
  const now = deps.now ?? Date.now;
  async function prune(): Promise<void> {
    const before = now() - deps.retentionMs();
    for (const store of deps.stores) {
      try {
        await store.prune(before);
      } catch (err) {
        deps.onError(err);
      }
    }
  }
  const timer = setInterval(() => void prune(), deps.everyMs ?? 3_600_000).unref();
  return {
    prune,
    stop: () => clearInterval(timer),
  };
}
