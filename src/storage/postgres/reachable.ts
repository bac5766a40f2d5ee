/**
 * Opening a PostgreSQL store at startup when the database may not be up yet (a fleet restarted
 * during database maintenance, a pod scheduled before its database). A connection that fails for a
 * reason that fixes itself — refused, reset, timed out, DNS not resolvable yet, the server starting
 * or shutting down, too many connections — is retried with capped, jittered backoff; anything a
 * retry cannot fix (bad credentials, a missing database, no privilege, a schema from a newer
 * Fieldlab) fails at once, so a typo is a crash with a message, not a pod stuck "not ready".
 */

/** Node socket errors that mean "not reachable right now". */
const TRANSIENT_NET = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'EPIPE',
  'EAI_AGAIN',
  // A Kubernetes Service that does not exist yet resolves to NXDOMAIN; a typo does too, and the
  // log line names the host each attempt.
  'ENOTFOUND',
]);

/** Refusals a retry cannot fix, by message (PgBouncer gives them no SQLSTATE of their own). */
const PERMANENT_MESSAGE = /no such (database|user)|password authentication failed|does not exist/i;

/**
 * Whether a retry may succeed: a socket error above, SQLSTATE class 08 (connection exception),
 * 57P01–57P03 (the server shutting down, crashed, or still starting), class 53 (too many
 * connections, out of resources), or pg's own connect/read timeouts (they carry no code).
 * @example isTransientPgError(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) // true
 */
export function isTransientPgError(err: unknown): boolean {
  const code = (err as { code?: unknown } | undefined)?.code;
  const message = err instanceof Error ? err.message : String(err);
  // PgBouncer reports its own refusals as 08P01 whatever the cause: a name or password it does not
  // know is still a typo, not an outage.
  if (PERMANENT_MESSAGE.test(message)) return false;
  if (typeof code === 'string') return TRANSIENT_NET.has(code) || /^(08|53)/.test(code) || /^57P0[123]$/.test(code);
  return /timeout|timed out|Connection terminated|ECONNREFUSED/i.test(message);
}

/** How `openWhenReachable` retries (defaults: 0.5 s doubling to 5 s, ±20% jitter). */
export interface ReachableOptions {
  readonly firstDelayMs?: number;
  readonly maxDelayMs?: number;
  /** Called after every transient failure, before the wait. */
  readonly onRetry?: (info: { attempt: number; retryInMs: number; err: unknown }) => void;
}

/**
 * Calls `open` until it succeeds or fails for a reason a retry cannot fix.
 * @example const stores = await openWhenReachable(() => openStore(url), { onRetry: ({ attempt }) => log.warn({ attempt }) })
 */
export async function openWhenReachable<T>(open: () => Promise<T>, opts: ReachableOptions = {}): Promise<T> {
  const first = opts.firstDelayMs ?? 500;
  const max = opts.maxDelayMs ?? 5000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await open();
    } catch (err) {
      if (!isTransientPgError(err)) throw err;
      // Jitter: a fleet restarted together must not reconnect in lockstep.
      const base = Math.min(max, first * 2 ** (attempt - 1));
      const retryInMs = Math.round(base * (0.8 + Math.random() * 0.4));
      opts.onRetry?.({ attempt, retryInMs, err });
      await new Promise((resolve) => setTimeout(resolve, retryInMs));
    }
  }
}
