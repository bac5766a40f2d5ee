/**
 * An upstream: a named set of endpoints balanced round-robin, with passive ejection. An endpoint that
 * fails to connect EJECT_AFTER times in a row is skipped for a while (doubling up to a cap), so a dead
 * host costs one fast 503 instead of a connect attempt per request. When every endpoint is ejected
 * the request fails fast with 503 FL_NO_ENDPOINT.
 */
import type { Endpoint } from './pools.js';

const EJECT_AFTER = 3;
const EJECT_BASE_MS = 2_000;
const EJECT_MAX_MS = 30_000;

/** A compiled upstream. */
export interface Upstream {
  readonly name: string;
  readonly endpoints: readonly Endpoint[];
  /** Host header to send instead of the client's, if configured. */
  readonly host: string | undefined;
  /** Next healthy endpoint round-robin, or undefined when none is available. */
  pick(now: number): Endpoint | undefined;
}

/**
 * Builds an upstream over its endpoints.
 * @example createUpstream('checkout-v2', [ep1, ep2], undefined).pick(Date.now())
 */
export function createUpstream(name: string, endpoints: readonly Endpoint[], host: string | undefined): Upstream {
  let next = 0;
  return {
    name,
    endpoints,
    host,
    pick(now) {
      const n = endpoints.length;
      for (let tries = 0; tries < n; tries++) {
        const ep = endpoints[next++ % n]!;
        if (ep.ejectedUntil <= now) return ep;
      }
      return undefined;
    },
  };
}

/**
 * Whether the endpoint counts as down: ejected now, or half-open (its backoff ran out but no
 * connection has succeeded since), so a dead endpoint without traffic never looks healthy again.
 * @example endpointDown(ep, Date.now()) // true from the 3rd connect failure until a success
 */
export function endpointDown(ep: Endpoint, now: number): boolean {
  return ep.ejectedUntil > now || ep.failures >= EJECT_AFTER;
}

/** Records the outcome of a connection attempt for passive health. */
export function recordConnect(ep: Endpoint, ok: boolean, now: number): void {
  if (ok) {
    ep.failures = 0;
    ep.ejectedUntil = 0;
    return;
  }
  ep.failures++;
  if (ep.failures >= EJECT_AFTER) {
    const backoff = Math.min(EJECT_BASE_MS * 2 ** (ep.failures - EJECT_AFTER), EJECT_MAX_MS);
    // Failures of exchanges already in flight extend an ejection; only a new one is counted.
    if (ep.ejectedUntil <= now) ep.ejections++;
    ep.ejectedUntil = now + backoff;
  }
}
