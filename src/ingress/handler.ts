/**
 * One request's whole path, on one screen: take the current snapshot, prepare (route → sticky key →
 * arm → endpoint → headers), plan mirroring to shadows (which pair up and get compared off the
 * request path), forward with streaming, then log. Guardrails hook in here next. Never throws: failures become coded local replies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { CompiledRoute, Snapshot } from '../config/compile.js';
import { FL_INTERNAL } from '../errors.js';
import { forward, type ForwardOutcome } from '../forward/forwarder.js';
import { setHeader } from '../forward/headers.js';
import { beginMirror, type MirrorDeps } from '../mirror/mirror.js';
import { beginExchange, type ExchangeInfo, type ExchangeObserver } from '../telemetry/hooks.js';
import type { Logger } from '../telemetry/logger.js';
import { sendLocalReply } from './local-reply.js';
import { prepareRequest, type Prepared } from './prepare.js';

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
        if (p.route && p.arm) beginExchange(deps.observers(), rejectedInfo(req, p.route, p.arm, p.requestId, started))?.end(outcome, performance.now() - started);
        if (accessLog) logAccess(deps.log, req, started, { rid: p.requestId, route: p.route?.name, arm: p.arm, upstream: undefined }, outcome);
        return;
      }
      const tracker = beginExchange(deps.observers(), exchangeInfo(req, p, started));
      if (tracker?.traceparent) setHeader(p.headers, 'traceparent', tracker.traceparent);
      const mirror = p.route.shadows.length > 0 ? beginMirror(req, p, deps.mirror, tracker) : undefined;
      const target = { endpoint: p.endpoint, method: req.method ?? 'GET', path: p.path, headers: p.headers, requestId: p.requestId, extraHeaders: p.extraHeaders, capture: mirror?.capture, body: mirror?.body };
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

function exchangeInfo(req: IncomingMessage, p: Prepared, startedAt: number): ExchangeInfo {
  const arm = p.route.arms[p.assignment.armIndex]!;
  return {
    route: p.route,
    armIndex: p.assignment.armIndex,
    arm: p.arm,
    upstream: arm.upstream.name,
    endpoint: p.endpoint.origin,
    requestId: p.requestId,
    key: p.assignment.key,
    forced: p.assignment.forced,
    share: armShare(p.route, p.assignment.armIndex),
    method: req.method ?? 'GET',
    target: p.path,
    headers: req.headers,
    clientIp: p.clientIp,
    startedAt,
    startedAtEpoch: Date.now(),
  };
}

/** The arm's share of the route's traffic right now (control: what the variants leave). */
function armShare(route: CompiledRoute, armIndex: number): number {
  const p = route.weights.percents;
  if (armIndex > 0) return (p[armIndex - 1] ?? 0) / 100;
  let sum = 0;
  for (const v of p) sum += v;
  return Math.max(0, 100 - sum) / 100;
}

function rejectedInfo(req: IncomingMessage, route: CompiledRoute, arm: string, requestId: string, startedAt: number): ExchangeInfo {
  const armIndex = route.armIndex.get(arm) ?? 0;
  return {
    route,
    armIndex,
    arm,
    upstream: route.arms[armIndex]!.upstream.name,
    endpoint: undefined,
    requestId,
    key: requestId,
    forced: false,
    share: armShare(route, armIndex),
    method: req.method ?? 'GET',
    target: req.url ?? '/',
    headers: req.headers,
    clientIp: req.socket.remoteAddress ?? '',
    startedAt,
    startedAtEpoch: Date.now(),
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
