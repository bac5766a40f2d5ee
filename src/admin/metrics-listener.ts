/**
 * The scrape and probe listener (`metrics.listen`): GET /metrics, /healthz and /readyz with no
 * token, and nothing else, so it can face Prometheus and the kubelet on the pod IP while the admin
 * API (reports, actions, reload) stays on loopback or behind its tokens. Metrics name routes, arms
 * and upstreams but carry no request data, which is why they may be read without a credential.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { FL_ADMIN_NOT_FOUND } from '../errors.js';
import { sendLocalReply } from '../net/local-reply.js';
import { sendJson } from './server.js';

/** What the listener serves. */
export interface MetricsListenerDeps {
  /** The admin's `GET /metrics` handler (metricsRoute). */
  readonly metrics: (req: IncomingMessage, res: ServerResponse) => void;
  /** Same readiness as the admin's /readyz (false from the first moment of a drain). */
  ready(): boolean;
}

/**
 * Creates (but does not start) the metrics listener.
 * @example createMetricsListener({ metrics: metricsRoute(metrics), ready: () => true }).listen(9902)
 */
export function createMetricsListener(deps: MetricsListenerDeps): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendLocalReply(res, FL_ADMIN_NOT_FOUND, undefined);
    if (path === '/metrics') return deps.metrics(req, res);
    if (path === '/healthz') return sendJson(res, { status: 'ok' });
    if (path === '/readyz') return deps.ready() ? sendJson(res, { status: 'ready' }) : sendJson(res, { status: 'not ready' }, 503);
    return sendLocalReply(res, FL_ADMIN_NOT_FOUND, undefined);
  });
}
