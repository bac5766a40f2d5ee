/**
 * The route table's index: a segment trie over each route's leading literal path segments, built once
 * per route list. A request walks its own path's segments down the trie and only the routes filed on
 * that walk are candidates (a route can only match paths that start with its literal segments), so the
 * cost follows the path's depth and the few routes that share its prefix, not the route count. First
 * match is kept: candidates are tried in route order and the lowest-numbered match wins.
 */
import type { MatchInput, RouteMatcher } from './route-table.js';

/** One trie node: routes filed here (ascending route numbers) and children by next segment. */
interface Node {
  readonly routes: number[];
  readonly children: Map<string, Node>;
}

/** A compiled index over one route list. */
export interface RouteIndex<R> {
  find(req: MatchInput): R | undefined;
}

const newNode = (): Node => ({ routes: [], children: new Map() });

/**
 * Builds the index of `routes` (order is priority: the first route that matches wins).
 * @example const index = buildRouteIndex(snapshot.routes); index.find({ method: 'GET', host, path, headers })
 */
export function buildRouteIndex<R extends { readonly matcher: RouteMatcher }>(routes: readonly R[]): RouteIndex<R> {
  const root = newNode();
  routes.forEach((route, i) => {
    let node = root;
    for (const seg of route.matcher.path.literal) {
      let next = node.children.get(seg);
      if (!next) node.children.set(seg, (next = newNode()));
      node = next;
    }
    node.routes.push(i);
  });
  return {
    find(req) {
      const path = req.path;
      let best = routes.length;
      best = firstMatch(root, routes, req, best);
      let node: Node | undefined = root;
      let start = 0;
      // Segments of the path, as split('/') gives them, without building the array.
      while (node && start <= path.length) {
        const end = path.indexOf('/', start);
        const stop = end === -1 ? path.length : end;
        node = node.children.size === 0 ? undefined : node.children.get(path.slice(start, stop));
        if (node) best = firstMatch(node, routes, req, best);
        start = stop + 1;
      }
      return best < routes.length ? routes[best] : undefined;
    },
  };
}

/** The lowest route number filed at `node` below `best` that matches, or `best`. */
function firstMatch<R extends { readonly matcher: RouteMatcher }>(node: Node, routes: readonly R[], req: MatchInput, best: number): number {
  const list = node.routes;
  for (let i = 0; i < list.length; i++) {
    const n = list[i]!;
    if (n >= best) return best;
    if (routes[n]!.matcher.matches(req)) return n;
  }
  return best;
}
