/**
 * `GET /metrics` on the admin listener. Registered among the admin server's extra routes, it shares
 * their access rule: open when no `admin.token` is configured (loopback-only admin), bearer-token
 * guarded when one is — Prometheus sends it with `authorization: { credentials: … }` in the scrape
 * config. The text is rendered per scrape; nothing is computed between scrapes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FL_INTERNAL } from '../errors.js';
import { sendLocalReply } from '../net/local-reply.js';
import type { Metrics } from '../telemetry/metrics.js';
import { PROM_CONTENT_TYPE } from '../telemetry/prom-text.js';

/**
 * The admin handler for `GET /metrics`.
 * @example createAdminServer({ …, routes: { ...diffRoutes(…), 'GET /metrics': metricsRoute(metrics) } })
 */
export function metricsRoute(metrics: Pick<Metrics, 'render'>): (req: IncomingMessage, res: ServerResponse) => void {
  return (_req, res) => {
    let text: string;
    try {
      text = metrics.render();
    } catch {
      // A collect callback that throws must cost one scrape, not the admin listener.
      return sendLocalReply(res, FL_INTERNAL, undefined, 'metrics collection failed');
    }
    res.writeHead(200, { 'content-type': PROM_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  };
}
