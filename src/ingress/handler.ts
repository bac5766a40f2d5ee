/**
 * One request's whole path, on one screen: take the current snapshot, prepare (route → sticky key →
 * arm → endpoint → headers), plan mirroring to shadows (which pair up and get compared off the
 * request path), forward with streaming, then log. Guardrails hook in here next. Never throws: failures become coded local replies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Snapshot } from '../config/compile.js';
import { FL_INTERNAL } from '../errors.js';
import { forward, type ForwardOutcome } from '../forward/forwarder.js';
import { setHeader } from '../forward/headers.js';
import { beginMirror, type MirrorDeps } from '../mirror/mirror.js';
import { beginExchange, type ExchangeObserver } from '../telemetry/hooks.js';
import { exchangeInfo, rejectedInfo } from './exchange-info.js';
import type { Logger } from '../telemetry/logger.js';
import { sendLocalReply } from '../net/local-reply.js';
import { prepareRequest } from './prepare.js';

/** What the handler needs from the composition root. */
export interface HandlerDeps {
  /** The live snapshot; read once per request. */
  current(): Snapshot;
  readonly log: Logger;
  /** True once shutdown started: responses then ask clients to close their connection. */
  draining(): boolean;
  /** Shadow dispatch and pairing; only touched by routes that have `shadow:`. */
  readonly mirror: MirrorDeps;
  /** Tracing, metrics and guardrails; empty when none is configured. */
  observers(): readonly ExchangeObserver[];
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
        const outcome = { status: p.error.status, code: p.error.code, bytes: 0, upstreamMs: undefined };
        // A route's arm that can't be served (no endpoint) still counts against that arm.
        if (p.route && p.arm)
          beginExchange(deps.observers(), rejectedInfo(req, p.route, p.arm, p.requestId, started))?.end(
            outcome,
            performance.now() - started,
          );
        if (accessLog)
          logAccess(deps.log, req, started, { rid: p.requestId, route: p.route?.name, arm: p.arm, upstream: undefined }, outcome);
        return;
      }
      const tracker = beginExchange(deps.observers(), exchangeInfo(req, p, started));
      if (tracker?.traceparent) setHeader(p.headers, 'traceparent', tracker.traceparent);
      const mirror = p.route.shadows.length > 0 ? beginMirror(req, p, deps.mirror, tracker) : undefined;
      const target = {
        endpoint: p.endpoint,
        method: req.method ?? 'GET',
        path: p.path,
        headers: p.headers,
        requestId: p.requestId,
        extraHeaders: p.extraHeaders,
        capture: mirror?.capture,
        body: mirror?.body,
      };
      const fields = { rid: p.requestId, route: p.route.name, arm: p.arm, upstream: p.endpoint.origin };
      forward(req, res, target, (outcome) => {
        tracker?.end(outcome, performance.now() - started);
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
