/**
 * Span attributes, following the HTTP semantic conventions
 * (https://opentelemetry.io/docs/specs/semconv/http/http-spans/) plus `fieldlab.*`. What depends
 * only on the route and arm is built once per compiled route (a WeakMap keyed by the immutable
 * route object, so a reload builds new sets and the old ones go with their snapshot); what depends
 * on the request is built only for spans that record.
 */
import type { Attributes } from '@opentelemetry/api';
import type { CompiledRoute } from '../routing/route.js';
import type { ExchangeInfo } from './hooks.js';

/** The constant part of one arm's spans. */
export interface ArmAttributes {
  /** `GET /api/*`-style server span name needs the method; this is the route half. */
  readonly route: string;
  readonly upstream: string;
  readonly attributes: Attributes;
}

const byRoute = new WeakMap<CompiledRoute, readonly ArmAttributes[]>();

/**
 * The precomputed attributes of `x`'s arm: http.route and fieldlab.route/arm/upstream.
 * @example tracer.startSpan(`GET ${a.route}`, { attributes: armAttributes(x).attributes })
 */
export function armAttributes(x: ExchangeInfo): ArmAttributes {
  let arms = byRoute.get(x.route);
  if (!arms) {
    const route = x.route;
    const pattern = route.matcher.path.pattern;
    arms = route.arms.map((arm) => ({
      route: pattern,
      upstream: arm.upstream.name,
      attributes: Object.freeze({
        'http.route': pattern,
        'fieldlab.route': route.name,
        'fieldlab.arm': arm.name,
        'fieldlab.upstream': arm.upstream.name,
      }),
    }));
    byRoute.set(route, arms);
  }
  // An arm index outside the compiled arms can't happen; fall back to what the info says.
  return (
    arms[x.armIndex] ?? {
      route: x.route.name,
      upstream: x.upstream,
      attributes: { 'fieldlab.route': x.route.name, 'fieldlab.arm': x.arm, 'fieldlab.upstream': x.upstream },
    }
  );
}

/**
 * The request half of the server span's attributes.
 * @example server.setAttributes(requestAttributes(x, false))
 */
export function requestAttributes(x: ExchangeInfo, captureQuery: boolean): Attributes {
  const q = x.target.indexOf('?');
  const attrs: Attributes = {
    'http.request.method': x.method,
    'url.path': q === -1 ? x.target : x.target.slice(0, q),
    'url.scheme': 'http',
    'client.address': x.clientIp,
    'fieldlab.request_id': x.requestId,
  };
  if (captureQuery && q !== -1) attrs['url.query'] = x.target.slice(q + 1);
  const host = x.headers.host;
  if (host) {
    const { address, port } = splitHost(host);
    attrs['server.address'] = address;
    if (port !== undefined) attrs['server.port'] = port;
  }
  const ua = x.headers['user-agent'];
  if (ua) attrs['user_agent.original'] = ua;
  return attrs;
}

const endpoints = new Map<string, Attributes>();

/**
 * server.address/server.port of an upstream endpoint origin, parsed once per origin.
 * @example endpointAttributes('http://10.0.0.7:8080') // { 'server.address': '10.0.0.7', 'server.port': 8080 }
 */
export function endpointAttributes(origin: string): Attributes {
  let attrs = endpoints.get(origin);
  if (!attrs) {
    try {
      const url = new URL(origin);
      const port = url.port ? Number(url.port) : url.protocol === 'https:' ? 443 : 80;
      attrs = Object.freeze({
        'server.address': url.hostname.replace(/^\[|\]$/g, ''),
        'server.port': port,
        'url.scheme': url.protocol.slice(0, -1),
      });
    } catch {
      attrs = Object.freeze({ 'server.address': origin });
    }
    // Origins come from the config; the cap only guards against a pathological reload loop.
    if (endpoints.size >= 4096) endpoints.clear();
    endpoints.set(origin, attrs);
  }
  return attrs;
}

/**
 * Splits a Host header into address and port (`[::1]:8080` → `::1`, 8080).
 * @example splitHost('shop.example:8443') // { address: 'shop.example', port: 8443 }
 */
export function splitHost(host: string): { address: string; port: number | undefined } {
  if (host.startsWith('[')) {
    const end = host.indexOf(']');
    const port = host.slice(end + 2);
    return { address: host.slice(1, end === -1 ? undefined : end), port: port ? toPort(port) : undefined };
  }
  const colon = host.lastIndexOf(':');
  if (colon === -1) return { address: host, port: undefined };
  return { address: host.slice(0, colon), port: toPort(host.slice(colon + 1)) };
}

function toPort(s: string): number | undefined {
  const n = Number(s);
  return Number.isInteger(n) && n > 0 && n < 65536 ? n : undefined;
}
