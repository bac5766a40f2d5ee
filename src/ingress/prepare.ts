/**
 * The routing half of a request, shared by plain HTTP and protocol upgrades: match a route, resolve
 * the client, assign an arm, pick an endpoint and build the upstream headers. Returns either a ready
 * target or the registry error to answer with; never throws.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { CompiledRoute } from '../routing/route.js';
import type { Snapshot } from '../config/compile.js';
import { FL_HEADERS_TOO_LARGE, FL_NO_ENDPOINT, FL_NO_ROUTE, type FieldlabErrorDef } from '../errors.js';
import { upstreamRequestHeaders } from '../forward/headers.js';
import type { Endpoint } from '../forward/pools.js';
import { assignArm, type Assignment } from '../routing/assignment.js';
import { findRoute } from '../routing/route-table.js';
import { stickyCookie } from '../routing/sticky.js';
import { resolveClientIp } from './client-ip.js';
import { checkTarget } from './request-target.js';
import { stripV4Mapped } from '../net/ip.js';
import type { FaultDecision } from '../faults/decide.js';

/** A request that is ready to forward. */
export interface Prepared {
  readonly ok: true;
  readonly requestId: string;
  readonly clientIp: string;
  readonly route: CompiledRoute;
  readonly assignment: Assignment;
  readonly arm: string;
  readonly endpoint: Endpoint;
  /** The normalized target (path and query) sent upstream. */
  readonly path: string;
  readonly headers: string[];
  readonly extraHeaders: (readonly [string, string])[] | undefined;
  /** Content-Length other than 0, or Transfer-Encoding: decided once for forwarding and mirroring. */
  readonly hasBody: boolean;
  /** Date.now() as the request was prepared (the endpoint pick's clock); the observers' arrival time. */
  readonly at: number;
  /** The injected fault (faults/inject.ts), set by the handler on a route with `fault:`. */
  readonly fault?: FaultDecision | undefined;
}

/** A request the proxy answers itself. */
export interface Rejected {
  readonly ok: false;
  readonly requestId: string;
  readonly error: FieldlabErrorDef;
  readonly route: CompiledRoute | undefined;
  readonly arm: string | undefined;
}

const SANE_ID = /^[\w.:@/+=-]{1,200}$/;

// A module function, not a closure over the request id: nothing is allocated for the common, accepted case.
function rejected(requestId: string, error: FieldlabErrorDef, route?: CompiledRoute, arm?: string): Rejected {
  return { ok: false, requestId, error, route, arm };
}

/**
 * Prepares `req` against the snapshot it arrived under.
 * @example const p = prepareRequest(req, snapshot); if (p.ok) forward(req, res, p, done)
 */
export function prepareRequest(req: IncomingMessage, snap: Snapshot): Prepared | Rejected {
  const given = req.headers['x-request-id'];
  const requestId = typeof given === 'string' && SANE_ID.test(given) ? given : randomUUID();

  if (req.rawHeaders.length > snap.config.limits.maxHeaders * 2) return rejected(requestId, FL_HEADERS_TOO_LARGE);
  const target = checkTarget(req, snap.config.paths);
  if (!target.ok) return rejected(requestId, target.error);
  const { host, hostHeader, path, query, url } = target;

  const route = findRoute(snap.routes, { method: req.method ?? 'GET', host, path, headers: req.headers });
  if (!route) return rejected(requestId, FL_NO_ROUTE);

  const peer = req.socket.remoteAddress ?? '';
  const rawXff = req.headers['x-forwarded-for'];
  const xff = Array.isArray(rawXff) ? rawXff.join(', ') : rawXff;
  const trustedPeer = !snap.trustedProxies.empty && snap.trustedProxies.has(peer);
  const clientIp = resolveClientIp(peer, xff, snap.trustedProxies);
  const assignment = assignArm(route, { headers: req.headers, query, clientIp });
  const arm = route.arms[assignment.armIndex]!;
  const at = Date.now();
  const endpoint = arm.upstream.pick(at);
  if (!endpoint) return rejected(requestId, FL_NO_ENDPOINT, route, arm.name);

  const tls = (req.socket as TLSSocket).encrypted === true;
  const givenProto = req.headers['x-forwarded-proto'];
  const proto = trustedPeer && typeof givenProto === 'string' ? givenProto : tls ? 'https' : 'http';
  const givenHost = req.headers['x-forwarded-host'];
  const headers = upstreamRequestHeaders(req.rawHeaders, {
    host: arm.upstream.host ?? (hostHeader || undefined),
    requestId,
    route: route.name,
    arm: arm.name,
    forwardedFor: xff ? `${xff}, ${stripV4Mapped(peer)}` : stripV4Mapped(peer),
    proto,
    forwardedHost: trustedPeer && typeof givenHost === 'string' ? givenHost : hostHeader || undefined,
    via: req.headers.via,
  });

  let extraHeaders: (readonly [string, string])[] | undefined;
  if (assignment.issueCookie)
    (extraHeaders ??= []).push(['set-cookie', stickyCookie(assignment.issueCookie, assignment.key, proto === 'https')]);
  if (route.exposeArm) (extraHeaders ??= []).push(['x-fieldlab-arm', arm.name]);
  const te = req.headers['transfer-encoding'];
  const cl = req.headers['content-length'];
  const hasBody = te !== undefined || (cl !== undefined && cl !== '0');
  return { ok: true, requestId, clientIp, route, assignment, arm: arm.name, endpoint, path: url, headers, extraHeaders, hasBody, at };
}
