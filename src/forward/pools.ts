/**
 * Connection pools, one undici Pool per upstream endpoint, shared across config snapshots so a hot
 * reload keeps warm keep-alive connections. After a swap, pools no longer referenced are closed
 * gracefully: undici's `close()` lets queued and in-flight requests finish first.
 */
import { Pool } from 'undici';
import type { UpstreamTimeouts } from '../config/schema.js';

/** An endpoint and its passive-health state (kept across reloads with its pool). */
export interface Endpoint {
  readonly key: string;
  readonly origin: string;
  readonly pool: Pool;
  readonly timeouts: UpstreamTimeouts;
  /** Consecutive connect failures; reset by any response. */
  failures: number;
  /** Epoch ms until which the endpoint is skipped (0 = healthy). */
  ejectedUntil: number;
}

/** Options that shape a pool; endpoints with different options get different pools. */
export interface PoolOptions {
  readonly timeouts: UpstreamTimeouts;
  readonly connections: number;
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
  return {
    endpoint(origin, opts) {
      const key = `${origin}|${opts.connections}|${opts.timeouts.connect}|${opts.timeouts.headers}|${opts.timeouts.idle}`;
      let ep = endpoints.get(key);
      if (!ep) {
        const pool = new Pool(origin, {
          connections: opts.connections,
          pipelining: 1,
          keepAliveTimeout: 4_000,
          keepAliveMaxTimeout: 600_000,
          headersTimeout: opts.timeouts.headers,
          bodyTimeout: opts.timeouts.idle,
          connect: { timeout: opts.timeouts.connect },
        });
        ep = { key, origin, pool, timeouts: opts.timeouts, failures: 0, ejectedUntil: 0 };
        endpoints.set(key, ep);
      }
      return ep;
    },
    async retain(keep) {
      const closing: Promise<void>[] = [];
      for (const [key, ep] of endpoints) {
        if (keep.has(key)) continue;
        endpoints.delete(key);
        closing.push(ep.pool.close().catch(() => undefined));
      }
      await Promise.all(closing);
    },
    async closeAll(force = false) {
      const all = [...endpoints.values()];
      endpoints.clear();
      await Promise.all(all.map((ep) => (force ? ep.pool.destroy() : ep.pool.close()).catch(() => undefined)));
    },
    get size() {
      return endpoints.size;
    },
  };
}
