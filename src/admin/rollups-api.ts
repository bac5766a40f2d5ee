/**
 * Per-minute arm rollups over the admin API: the stored time series of requests, bad and slow
 * events and latency quantiles per route and arm (shadows appear as `shadow:NAME`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { LATENCY_BOUNDS, quantile } from '../stats/histogram.js';
import { parseTimeBound } from '../compare/report-filter.js';
import { FL_ADMIN_BAD_REQUEST } from '../errors.js';
import { sendLocalReply } from '../net/local-reply.js';
import type { GuardrailStore, MinuteRow } from '../storage/guardrail-types.js';
import { storeErrorDef } from '../storage/store-error.js';
import { sendJson } from './server.js';

/**
 * `GET /rollups.json?route=&arm=&since=1h&until=`: one row per minute × route × arm, oldest first.
 * @example createAdminServer({ ..., routes: rollupRoutes(stores.guardrails) })
 */
export function rollupRoutes(
  store: Pick<GuardrailStore, 'minutes'>,
): Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> {
  return {
    'GET /rollups.json': async (req, res) => {
      const q = Object.fromEntries(new URL(req.url ?? '/', 'http://admin').searchParams);
      const now = Date.now();
      const since = q.since ? parseTimeBound(q.since, now) : now - 3_600_000;
      const until = q.until ? parseTimeBound(q.until, now) : undefined;
      if (since === undefined || (q.until && until === undefined)) {
        return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, 'since/until: use an age like 1h, an ISO date or epoch ms');
      }
      let rows: MinuteRow[];
      try {
        rows = await store.minutes({
          ...(q.route ? { route: q.route } : {}),
          ...(q.arm ? { arm: q.arm } : {}),
          since,
          ...(until !== undefined ? { until } : {}),
        });
      } catch (err) {
        return sendLocalReply(res, storeErrorDef(err), undefined, err instanceof Error ? err.message : String(err));
      }
      sendJson(res, {
        minutes: rows.map((r) => ({
          minute: new Date(r.minute).toISOString(),
          route: r.route,
          arm: r.arm,
          requests: r.requests,
          bad: r.bad,
          slow: r.slow,
          p50Ms: quantile(r.latency, LATENCY_BOUNDS, 0.5) ?? null,
          p99Ms: quantile(r.latency, LATENCY_BOUNDS, 0.99) ?? null,
        })),
      });
    },
  };
}
