/**
 * Finds routes that can never match: first match wins, so a route is dead when an earlier one
 * accepts every request it would (a catch-all `/*`, or a prefix covering its path, with the same or
 * a broader host, method and header match). Conservative: it reports only what is certain, so a
 * templated earlier path shadows only an identical pattern.
 */
import type { MatchSpec } from '../routing/route-table.js';

/**
 * Whether every request `later` matches is also matched by `earlier`.
 * @example covers({ path: '/*' }, { path: '/api/*', methods: ['GET'] }) // true
 * @example covers({ path: '/api/*', methods: ['GET'] }, { path: '/api/x' }) // false (POST /api/x reaches it)
 */
export function covers(earlier: MatchSpec, later: MatchSpec): boolean {
  return pathCovers(earlier.path, later.path) && methodsCover(earlier, later) && hostsCover(earlier, later) && headersCover(earlier, later);
}

function pathCovers(earlier: string, later: string): boolean {
  if (earlier === later) return true;
  if (!earlier.endsWith('/*') || earlier.includes('/:')) return false;
  const base = earlier.slice(0, -2); // '' for `/*`, which matches every path
  if (base === '') return true;
  // Every path `later` matches starts with its literal segments, up to its first parameter or `*`.
  const literal: string[] = [];
  for (const segment of (later.endsWith('/*') ? later.slice(0, -2) : later).split('/')) {
    if (segment.startsWith(':')) break;
    literal.push(segment);
  }
  const prefix = literal.join('/');
  return prefix === base || prefix.startsWith(`${base}/`);
}

function methodsCover(earlier: MatchSpec, later: MatchSpec): boolean {
  if (earlier.methods === undefined) return true;
  const allowed = new Set(earlier.methods);
  return later.methods !== undefined && later.methods.length > 0 && later.methods.every((m) => allowed.has(m));
}

function hostList(spec: MatchSpec): string[] | undefined {
  if (spec.host === undefined) return undefined;
  return (Array.isArray(spec.host) ? spec.host : [spec.host]).map((h) => h.toLowerCase().replace(/:\d+$/, ''));
}

function hostsCover(earlier: MatchSpec, later: MatchSpec): boolean {
  const mine = hostList(earlier);
  if (mine === undefined || mine.includes('*')) return true;
  const theirs = hostList(later);
  if (theirs === undefined || theirs.length === 0) return false;
  return theirs.every((h) => mine.some((p) => p === h || (p.startsWith('*.') && h.endsWith(p.slice(1)) && h.length > p.length - 1)));
}

function headersCover(earlier: MatchSpec, later: MatchSpec): boolean {
  const theirs = new Map(Object.entries(later.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v]));
  return Object.entries(earlier.headers ?? {}).every(([name, want]) => {
    const got = theirs.get(name.toLowerCase());
    return got !== undefined && (want === '*' || got === want);
  });
}
