/**
 * Admission to an endpoint's connections: at most `connections` exchanges hold one, the next `queue`
 * wait in FIFO order, and anything beyond gets 503 FL_UPSTREAM_QUEUE_FULL at once. undici's own pool
 * queue is unbounded and can't drop a waiting request whose client left, so the queue lives here,
 * where a waiter can time out (`timeouts.queue`) or be withdrawn. Costs two counter updates per
 * exchange while the endpoint has room; the queue exists only under saturation.
 */
import type { Endpoint } from './pools.js';

/** An exchange waiting for a connection. */
export interface Waiter {
  /** A connection slot is now this exchange's; it must `release` it exactly once. */
  admitted(): void;
}

/**
 * Takes a slot now ('now'), queues the waiter ('queued'), or refuses ('full').
 * @example if (acquire(ep, handler) === 'full') reply(FL_UPSTREAM_QUEUE_FULL)
 */
export function acquire(ep: Endpoint, w: Waiter): 'now' | 'queued' | 'full' {
  if (ep.active < ep.connections) {
    ep.active++;
    return 'now';
  }
  if (ep.waiting.length >= ep.queueLimit) return 'full';
  ep.waiting.push(w);
  return 'queued';
}

/**
 * Gives a slot back; the longest waiter gets it.
 * @example release(ep)
 */
export function release(ep: Endpoint): void {
  const next = ep.waiting.shift();
  if (next) next.admitted();
  else if (--ep.active === 0) ep.onIdle?.();
}

/**
 * Removes a waiter that no longer wants a slot (timed out, client gone); false if it was not waiting.
 * @example withdraw(ep, handler)
 */
export function withdraw(ep: Endpoint, w: Waiter): boolean {
  const i = ep.waiting.indexOf(w);
  if (i === -1) return false;
  ep.waiting.splice(i, 1);
  return true;
}
