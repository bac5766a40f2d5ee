/**
 * The route table: routes compiled to cheap predicates, first match wins. Host, method and header
 * checks are precomputed at config compile; a request asks the route list's index (route-index.ts),
 * which tries only the routes whose literal path prefix the request's path has, so matching does not
 * slow down as routes are added. `findRouteLinear` is the plain walk the index must agree with.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { compilePath, type PathMatcher } from './path-matcher.js';
import { buildRouteIndex, type RouteIndex } from './route-index.js';

/** What route matching needs to know about a request. */
export interface MatchInput {
  readonly method: string;
  /** Host without port, lower-cased. */
  readonly host: string;
  /** Path without the query string. */
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
}

/** The match half of a route, as written under `match:`. */
export interface MatchSpec {
  readonly host?: string | readonly string[];
  readonly path: string;
  readonly methods?: readonly string[];
  readonly headers?: Readonly<Record<string, string>>;
}

/** A compiled matcher. */
export interface RouteMatcher {
  readonly path: PathMatcher;
  matches(req: MatchInput): boolean;
}

/**
 * Compiles a `match:` block.
 * @example compileMatch({ host: '*.example.com', path: '/api/*' }).matches(req)
 */
export function compileMatch(spec: MatchSpec): RouteMatcher {
  const path = compilePath(spec.path);
  const hosts = spec.host === undefined ? undefined : (Array.isArray(spec.host) ? spec.host : [spec.host]).map(hostMatcher);
  const methods = spec.methods ? new Set(spec.methods) : undefined;
  const headers = spec.headers ? Object.entries(spec.headers).map(([k, v]) => [k.toLowerCase(), v] as const) : undefined;
  return {
    path,
    matches(req) {
      if (methods && !methods.has(req.method)) return false;
      if (hosts && !hosts.some((h) => h(req.host))) return false;
      if (!path.matches(req.path)) return false;
      if (headers) {
        for (const [name, want] of headers) {
          const got = req.headers[name];
          if (got === undefined || (want !== '*' && (Array.isArray(got) ? !got.includes(want) : got !== want))) return false;
        }
      }
      return true;
    },
  };
}

function hostMatcher(pattern: string): (host: string) => boolean {
  const p = pattern.toLowerCase().replace(/:\d+$/, '');
  if (p === '*') return () => true;
  if (p.startsWith('*.')) {
    const suffix = p.slice(1);
    return (h) => h.endsWith(suffix) && h.length > suffix.length;
  }
  return (h) => h === p;
}

/** Route lists up to this long are walked; longer ones use the index. */
const SMALL_TABLE = 8;

/** One index per route list: a snapshot's list is immutable, so it is built once, at its first request. */
const indexes = new WeakMap<readonly object[], RouteIndex<unknown>>();

/**
 * Finds the first route whose matcher accepts the request.
 * @example findRoute(snapshot.routes, input)?.name
 */
export function findRoute<R extends { readonly matcher: RouteMatcher }>(routes: readonly R[], req: MatchInput): R | undefined {
  // A handful of routes is walked faster than any index is consulted (same answer either way).
  if (routes.length <= SMALL_TABLE) return findRouteLinear(routes, req);
  let index = indexes.get(routes) as RouteIndex<R> | undefined;
  if (!index) indexes.set(routes, (index = buildRouteIndex(routes)));
  return index.find(req);
}

/**
 * The reference: every route in order until one matches (what the index is tested against).
 * @example findRouteLinear(snapshot.routes, input)?.name
 */
export function findRouteLinear<R extends { readonly matcher: RouteMatcher }>(routes: readonly R[], req: MatchInput): R | undefined {
  for (const route of routes) if (route.matcher.matches(req)) return route;
  return undefined;
}
