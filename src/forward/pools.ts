/**
 * Connection pools, one undici Pool per upstream endpoint, shared across config snapshots so a hot
 * reload keeps warm keep-alive connections. After a swap, pools no longer referenced are closed
 * gracefully once their admission queue is empty: undici's `close()` lets in-flight requests finish.
 */
import { Client, type Dispatcher, Pool } from 'undici';
import type { Waiter } from './admission.js';
import { interimFilteringConnector } from './interim-filter.js';

/** An endpoint and its passive-health state (kept across reloads with its pool). */
export interface Endpoint {
  readonly key: string;
  readonly origin: string;
  readonly pool: Pool;
  readonly timeouts: Required<PoolTimeouts>;
  /** Consecutive connect failures; reset by any response. */
  failures: number;
  /** Epoch ms until which the endpoint is skipped (0 = healthy). */
  ejectedUntil: number;
  /** Times it was ejected (a healthy endpoint, or one whose ejection had run out, failed again). */
  ejections: number;
  /** Admission (admission.ts): connection slots, and how many may wait for one. */
  readonly connections: number;
  readonly queueLimit: number;
  /** Exchanges holding a connection slot, and those waiting for one (FIFO). */
  active: number;
  readonly waiting: Waiter[];
  /** Set on a retired endpoint: called when its last slot is released and nobody waits. */
  onIdle?: () => void;
  /** Exchanges whose client has not read for over a second (forwarder's stall quota). */
  stalled: number;
  /** A one-off connection with the pool's options, for a retry that must not reuse a socket. */
  fresh(): Dispatcher;
}

/** An upstream's timeouts in ms (config `timeouts`); shadows leave out the last two. */
export interface PoolTimeouts {
  readonly connect: number;
  readonly headers: number;
  readonly idle: number;
  /** Idle time after which a kept-alive upstream connection is closed (default 1.5 s). */
  readonly keepAlive?: number;
  /** Longest wait for a free connection (default 5 s) before 503 FL_UPSTREAM_QUEUE_TIMEOUT. */
  readonly queue?: number;
}

/** Options that shape a pool; endpoints with different options get different pools. */
export interface PoolOptions {
  readonly timeouts: PoolTimeouts;
  readonly connections: number;
  /** Requests that may wait for a busy endpoint's connection (503 FL_UPSTREAM_QUEUE_FULL beyond; default 1024). */
  readonly queue?: number;
}

/** Owns every upstream pool. */
export interface PoolRegistry {
  /** Returns the endpoint for this origin and options, creating its pool on first use. */
  endpoint(origin: string, opts: PoolOptions): Endpoint;
  /** Closes (after draining) every pool whose key is not in `keep`. */
  retain(keep: ReadonlySet<string>): Promise<void>;
  /** Closes every pool; in-flight requests finish first unless `force`. */
  closeAll(force?: boolean): Promise<void>;
  readonly size: number;
}

/**
 * Creates the pool registry.
 * @example const pools = createPoolRegistry(); pools.endpoint('http://10.0.0.1:8080', opts).pool
 */
export function createPoolRegistry(): PoolRegistry {
  const endpoints = new Map<string, Endpoint>();
  /** Endpoints a reload dropped that still have admitted or queued exchanges. */
  const retired = new Set<Endpoint>();
  // A retired pool closes only once its admission queue is empty too: a queued request is in
  // flight (it started on this config) and is admitted onto this pool, so closing it at once would
  // fail every waiter with UND_ERR_CLOSED (502) although nothing was wrong with the upstream.
  const drained = (ep: Endpoint): Promise<void> => {
    if (ep.active === 0 && ep.waiting.length === 0) return Promise.resolve();
    retired.add(ep);
    return new Promise((resolve) => {
      ep.onIdle = () => {
        retired.delete(ep);
        resolve();
      };
    });
  };
  return {
    endpoint(origin, opts) {
      const t = { keepAlive: 1_500, queue: 5_000, ...opts.timeouts };
      const queue = opts.queue ?? 1024;
      const key = `${origin}|${opts.connections}|${queue}|${t.connect}|${t.headers}|${t.idle}|${t.keepAlive}|${t.queue}`;
      let ep = endpoints.get(key);
      if (!ep) {
        const options = {
          pipelining: 1,
          // Idle upstream connections are dropped before common servers drop them (gunicorn 2 s,
          // Node 5 s), so we rarely send on a socket the server is closing; retry.ts covers the rest.
          keepAliveTimeout: t.keepAlive,
          keepAliveMaxTimeout: t.keepAlive,
          headersTimeout: t.headers,
          bodyTimeout: t.idle,
          connect: interimFilteringConnector({ timeout: t.connect }),
        };
        const pool = new Pool(origin, { ...options, connections: opts.connections });
        ep = {
          key,
          origin,
          pool,
          timeouts: t,
          failures: 0,
          ejectedUntil: 0,
          ejections: 0,
          connections: opts.connections,
          queueLimit: queue,
          active: 0,
          waiting: [],
          stalled: 0,
          fresh: () => new Client(origin, options),
        };
        endpoints.set(key, ep);
      }
      return ep;
    },
    async retain(keep) {
      const closing: Promise<void>[] = [];
      for (const [key, ep] of endpoints) {
        if (keep.has(key)) continue;
        endpoints.delete(key);
        closing.push(drained(ep).then(() => ep.pool.close().catch(() => undefined)));
      }
      await Promise.all(closing);
    },
    async closeAll(force = false) {
      const all = [...endpoints.values(), ...retired];
      endpoints.clear();
      retired.clear();
      await Promise.all(all.map((ep) => (force ? ep.pool.destroy() : ep.pool.close()).catch(() => undefined)));
    },
    get size() {
      return endpoints.size;
    },
  };
}
