/**
 * What observers (tracing, metrics, rollups, guardrails) are told about an exchange, built from a
 * prepared request, or from a rejected one that still belongs to a route's arm (e.g. 503 no endpoint).
 */
import type { IncomingMessage } from 'node:http';
import type { CompiledRoute } from '../routing/route.js';
import type { ExchangeInfo } from '../telemetry/hooks.js';
import type { Prepared } from './prepare.js';

/** Observer view of a prepared request. */
export function exchangeInfo(req: IncomingMessage, p: Prepared, startedAt: number): ExchangeInfo {
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
    excluded: p.assignment.excluded,
    fault: p.fault?.kind,
    share: armShare(p.route, p.assignment.armIndex),
    method: req.method ?? 'GET',
    target: p.path,
    headers: req.headers,
    clientIp: p.clientIp,
    startedAt,
    // Read once per request, in prepare: the same clock the endpoint was picked by.
    startedAtEpoch: p.at,
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

/** Observer view of a request the proxy answered itself on a route's arm. */
export function rejectedInfo(req: IncomingMessage, route: CompiledRoute, arm: string, requestId: string, startedAt: number): ExchangeInfo {
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
