/**
 * One request's whole path, on one screen: take the current snapshot, prepare (route → sticky key →
 * arm → endpoint → headers), forward with streaming, then log. Later stages (mirror, compare,
 * guardrails) hook in here. Never throws: failures become coded local replies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Snapshot } from '../config/compile.js';
import { FL_INTERNAL } from '../errors.js';
import { forward, type ForwardOutcome } from '../forward/forwarder.js';
import type { Logger } from '../telemetry/logger.js';
import { sendLocalReply } from './local-reply.js';
import { prepareRequest } from './prepare.js';

/** What the handler needs from the composition root. */
export interface HandlerDeps {
  /** The live snapshot; read once per request. */
  current(): Snapshot;
  readonly log: Logger;
  /** True once shutdown started: responses then ask clients to close their connection. */
  draining(): boolean;
}

/** Per-request fields of the access log line. */
interface AccessFields {
  rid: string;
  route: string | undefined;
  arm: string | undefined;
  upstream: string | undefined;
}

/**
 * Creates the `request` listener for the proxy server.
 * @example http.createServer(createRequestHandler({ current, log, draining }))
 */
export function createRequestHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = performance.now();
    const snap = deps.current();
    const accessLog = snap.config.log.access;
    if (deps.draining()) res.setHeader('connection', 'close');
    try {
      const p = prepareRequest(req, snap);
      if (!p.ok) {
        sendLocalReply(res, p.error, p.requestId);
        if (accessLog) logAccess(deps.log, req, started, { rid: p.requestId, route: p.route?.name, arm: p.arm, upstream: undefined }, { status: p.error.status, code: p.error.code, bytes: 0, upstreamMs: undefined });
        return;
      }
      const fields = { rid: p.requestId, route: p.route.name, arm: p.arm, upstream: p.endpoint.origin };
      forward(req, res, { endpoint: p.endpoint, method: req.method ?? 'GET', path: p.path, headers: p.headers, requestId: p.requestId, extraHeaders: p.extraHeaders }, (outcome) => {
        if (accessLog) logAccess(deps.log, req, started, fields, outcome);
      });
    } catch (err) {
      // A bug must cost one request, not the process.
      deps.log.error({ err }, 'request handler failed');
      sendLocalReply(res, FL_INTERNAL, undefined);
    }
  };
}

function logAccess(log: Logger, req: IncomingMessage, started: number, f: AccessFields, o: ForwardOutcome): void {
  log.info(
    {
      type: 'access',
      rid: f.rid,
      method: req.method,
      path: req.url,
      route: f.route,
      arm: f.arm,
      upstream: f.upstream,
      status: o.status,
      code: o.code,
      ms: Math.round((performance.now() - started) * 100) / 100,
      upstreamMs: o.upstreamMs === undefined ? undefined : Math.round(o.upstreamMs * 100) / 100,
      bytes: o.bytes,
    },
    'access',
  );
}
