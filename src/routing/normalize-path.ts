/**
 * Request path normalization, so that the path a route matches is the path the upstream gets and
 * `/public/%2e%2e/admin` can't ride a `/public/*` route to `/admin`. Like nginx (on by default):
 *
 *   1. percent-decode the unreserved characters (RFC 3986 §2.3: ALPHA DIGIT - . _ ~) and upper-case
 *      the hex of every other escape (§6.2.2.1); an invalid escape (`%zz`, `%4`) or `%00` is refused;
 *   2. refuse encoded slashes and backslashes (`%2F`, `%5C`) and raw backslashes, which some upstreams
 *      decode into separators after we matched (`escapedSlashes: keep` passes them through instead);
 *   3. merge runs of slashes (`//` → `/`, nginx `merge_slashes`);
 *   4. remove dot-segments (RFC 3986 §5.2.4); `..` above the root stays at the root.
 *
 * Broken UTF-8 behind escapes (overlong `%C0%AE`) and `..;` segments (servlet path parameters) are
 * refused too: they are dot-segments to some upstreams and not to RFC 3986.
 *
 * The query string is not touched. Paths without `%`, `\`, `//` or a dot-segment are returned as
 * they are, without allocating.
 */

/** How a path is normalized (the `paths:` config block). */
export interface PathPolicy {
  readonly normalize: boolean;
  readonly escapedSlashes: 'reject' | 'keep';
}

/** A normalized path, or why it was refused. */
export type NormalizedPath = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly reason: string };

// Anything that needs work: an escape, a backslash, a doubled slash or a `.`/`..` segment.
const NEEDS_WORK = /%|\\|\/\/|\/\.\.?(?:[/;]|$)/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const DOT_PARAMS = /\/\.\.?;/;

/**
 * Normalizes the path part of a request target (no query string).
 * @example normalizePath('/public/%2e%2e//admin', { normalize: true, escapedSlashes: 'reject' }) // { ok: true, path: '/admin' }
 */
export function normalizePath(path: string, policy: PathPolicy): NormalizedPath {
  if (!policy.normalize || !NEEDS_WORK.test(path)) return { ok: true, path };
  const keepSlashes = policy.escapedSlashes === 'keep';
  let decoded = '';
  for (let i = 0; i < path.length; i++) {
    const c = path[i]!;
    if (c === '\\' && !keepSlashes) return { ok: false, reason: 'backslash in path' };
    if (c !== '%') {
      decoded += c;
      continue;
    }
    const hex = path.slice(i + 1, i + 3);
    if (!/^[\dA-Fa-f]{2}$/.test(hex)) return { ok: false, reason: 'invalid percent-encoding in path' };
    const ch = String.fromCharCode(Number.parseInt(hex, 16));
    if (ch === '\0') return { ok: false, reason: 'encoded NUL in path' };
    if ((ch === '/' || ch === '\\') && !keepSlashes) return { ok: false, reason: 'encoded slash or backslash in path' };
    decoded += UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
    i += 2;
  }
  // Overlong or broken UTF-8 (`%C0%AE` for `.`) is an invalid encoding too: refused, not guessed.
  if (decoded.includes('%')) {
    try {
      decodeURIComponent(decoded);
    } catch {
      return { ok: false, reason: 'invalid UTF-8 in path escapes' };
    }
  }
  // `..;x` is a dot-segment to servlet containers (path parameters are stripped before resolving).
  if (DOT_PARAMS.test(decoded)) return { ok: false, reason: 'dot-segment with parameters in path' };
  return { ok: true, path: removeDotSegments(decoded.replace(/\/{2,}/g, '/')) };
}

/**
 * RFC 3986 §5.2.4 on an absolute path: `.` segments go, `..` removes the segment before it (never
 * above the root), and a trailing `.`/`..` leaves a trailing slash.
 * @example removeDotSegments('/a/b/../c/./d/..') // '/a/c/'
 */
export function removeDotSegments(path: string): string {
  const out: string[] = [];
  const segments = path.split('/');
  // segments[0] is '' (the path is absolute).
  for (let i = 1; i < segments.length; i++) {
    const s = segments[i]!;
    const last = i === segments.length - 1;
    if (s === '.' || s === '..') {
      if (s === '..') out.pop();
      if (last) out.push('');
      continue;
    }
    out.push(s);
  }
  return `/${out.join('/')}`;
}
