/**
 * Path patterns, compiled once: exact (`/a/b`), prefix (`/api/*`, which also matches `/api`) and
 * templated (`/users/:id`, one non-empty segment per param). Matching never allocates on the
 * exact and prefix fast paths.
 */

/** A compiled path pattern. */
export interface PathMatcher {
  readonly pattern: string;
  /**
   * The pattern's leading literal segments (split on `/`, up to the first `:param`): every path it
   * matches starts with exactly these segments, which is what the route index files it under.
   */
  readonly literal: readonly string[];
  matches(path: string): boolean;
}

/**
 * Compiles a path pattern.
 * @example compilePath('/users/:id/*').matches('/users/7/orders') // true
 */
export function compilePath(pattern: string): PathMatcher {
  const prefix = pattern.endsWith('/*');
  const body = prefix ? pattern.slice(0, -2) : pattern;
  const want = body.split('/');
  const firstParam = want.findIndex((w) => w.startsWith(':'));
  const literal = firstParam === -1 ? want : want.slice(0, firstParam);
  if (!body.includes(':')) {
    if (!prefix) return { pattern, literal, matches: (p) => p === body };
    // `/api/*` matches `/api`, `/api/` and `/api/x`, but not `/apix`.
    return { pattern, literal, matches: (p) => p.startsWith(body) && (p.length === body.length || p.charCodeAt(body.length) === 47) };
  }
  return {
    pattern,
    literal,
    matches(p) {
      const got = p.split('/');
      if (prefix ? got.length < want.length : got.length !== want.length) return false;
      for (let i = 0; i < want.length; i++) {
        const w = want[i]!;
        if (w.startsWith(':') ? got[i] === '' : w !== got[i]) return false;
      }
      return true;
    },
  };
}
