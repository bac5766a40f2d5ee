/**
 * The route table: routes compiled to cheap predicates, first match wins. Host, method and header
 * checks are precomputed at config compile; a request walks the list once.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { compilePath, type PathMatcher } from './path-matcher.js';

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

/**
 * Finds the first route whose matcher accepts the request.
 * @example findRoute(snapshot.routes, input)?.name
 */
export function findRoute<R extends { readonly matcher: RouteMatcher }>(routes: readonly R[], req: MatchInput): R | undefined {
  for (const route of routes) if (route.matcher.matches(req)) return route;
  return undefined;
}
