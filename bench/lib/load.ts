/** One autocannon run against a port, reduced to the numbers the report compares. */
import autocannon from 'autocannon';
import { LatencyHistogram } from './latency.js';

/** What one run measured. Latency covers 2xx responses only, as autocannon's does. */
export interface LoadResult {
  durationS: number;
  /** 2xx responses per second: a peer answering 502 fast must not look fast. */
  rps: number;
  p50: number;
  p99: number;
  ok: number;
  non2xx: number;
  /** Socket errors and timeouts (timeouts are also counted here, as autocannon does). */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /** Upstream requests per Fieldlab arm during the run (empty for peers that don't split). */
  arms: Record<string, number>;
  /** CPU per answered request from the processes' own counters (/proc), when measured. */
  cpu?: RunCpu;
}

/** CPU time per request of each process in the run, in µs; `foreignCores`: other people's load. */
export interface RunCpu {
  /** The proxy peer's process (undefined for `direct`, which has no proxy). */
  proxyUs: number | undefined;
  upstreamUs: number;
  loaderUs: number;
  /** Busy cores not accounted for by the bench's processes during the run. */
  foreignCores: number;
}

export interface LoadOptions {
  port: number;
  durationS: number;
  connections: number;
  /** Distinct x-user-id values to rotate over, so sticky hashing sees many keys. */
  users: number;
  /** Extra request headers on every request (config-size bench: 60 headers). */
  headers?: Record<string, string>;
}

/** The path every request uses; Fieldlab's bench route matches /api/*. */
export const PATH = '/api/items/1';

/** Requests are prebuilt once: autocannon serialises static requests up front, so rotation costs it nothing. */
function requestsFor(users: number, extra: Record<string, string> = {}): autocannon.Request[] {
  return Array.from({ length: users }, (_, i) => ({ method: 'GET', path: PATH, headers: { ...extra, 'x-user-id': `user-${i}` } }));
}

/**
 * Runs autocannon with pipelining 1 for `durationS` seconds and resolves with the reduced result.
 *
 * @example
 * const r = await runLoad({ port: 8080, durationS: 10, connections: 50, users: 1000 });
 */
export function runLoad(opts: LoadOptions): Promise<LoadResult> {
  const latency = new LatencyHistogram();
  return new Promise((resolve, reject) => {
    const instance = autocannon(
      {
        url: `http://127.0.0.1:${opts.port}`,
        connections: opts.connections,
        pipelining: 1,
        duration: opts.durationS,
        timeout: 10,
        requests: requestsFor(opts.users, opts.headers),
      },
      (err, r) => {
        if (err) return reject(err);
        const statusCodes: Record<string, number> = {};
        for (const [code, { count }] of Object.entries(r.statusCodeStats)) statusCodes[code] = count;
        resolve({
          durationS: r.duration,
          rps: r['2xx'] / r.duration,
          p50: latency.percentile(50),
          p99: latency.percentile(99),
          ok: r['2xx'],
          non2xx: r.non2xx,
          errors: r.errors,
          timeouts: r.timeouts,
          statusCodes,
          arms: {},
        });
      },
    );
    instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
      if (status >= 200 && status < 300) latency.record(ms);
    });
  });
}
