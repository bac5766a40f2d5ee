/**
 * What `fieldlab diffs` may filter on: the routes, shadows and endpoints the store has data for (at
 * any time) plus the routes and shadows of the config it was pointed at. A filter naming none of
 * them is a typo, and a typo must not pass a CI gate with an empty report.
 */
import { suggest } from '../config/suggest.js';
import type { DiffRows } from '../storage/types.js';

/** The filter's names. */
export interface NameFilter {
  readonly route?: string;
  readonly shadow?: string;
  readonly endpoint?: string;
}

const SHOWN = 20;

function list(kind: string, names: readonly string[], scope: string): string {
  if (names.length === 0) return `no ${kind}s are known${scope} (the store has no data${scope ? ' there' : ''})`;
  const shown = names.slice(0, SHOWN).join(', ');
  return `known ${kind}s${scope}: ${shown}${names.length > SHOWN ? `, … (${names.length - SHOWN} more)` : ''}`;
}

/**
 * Why the filter names something unknown (one line), or undefined when every name is known.
 * `all` is the store's rows without any filter; `configured` maps config routes to their shadows.
 * @example unknownName({ route: 'checkuot' }, rows, new Map([['checkout', ['v2']]])) // 'unknown route "checkuot", did you mean "checkout"? — known routes: checkout'
 */
export function unknownName(f: NameFilter, all: DiffRows, configured?: ReadonlyMap<string, readonly string[]>): string | undefined {
  const seen = [...all.pairs, ...all.skips];
  const routes = [...new Set([...seen.map((x) => x.route), ...(configured?.keys() ?? [])])].sort();
  if (f.route !== undefined && !routes.includes(f.route))
    return `unknown route "${f.route}"${suggest(f.route, routes)} — ${list('route', routes, '')}`;
  const inRoute = seen.filter((x) => f.route === undefined || x.route === f.route);
  const fromConfig = f.route === undefined ? [...(configured?.values() ?? [])].flat() : (configured?.get(f.route) ?? []);
  const shadows = [...new Set([...inRoute.map((x) => x.shadow), ...fromConfig])].sort();
  const routeScope = f.route !== undefined ? ` on route ${f.route}` : '';
  if (f.shadow !== undefined && !shadows.includes(f.shadow))
    return `unknown shadow "${f.shadow}"${suggest(f.shadow, shadows)} — ${list('shadow', shadows, routeScope)}`;
  const endpoints = [
    ...new Set(
      all.pairs
        .filter((x) => (f.route === undefined || x.route === f.route) && (f.shadow === undefined || x.shadow === f.shadow))
        .map((x) => x.endpoint),
    ),
  ].sort();
  const scope = [routeScope, f.shadow !== undefined ? ` to shadow ${f.shadow}` : ''].join('');
  if (f.endpoint !== undefined && !endpoints.includes(f.endpoint))
    return `unknown endpoint "${f.endpoint}"${suggest(f.endpoint, endpoints)} — ${list('endpoint', endpoints, scope)}`;
  return undefined;
}
