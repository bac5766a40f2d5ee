/**
 * Sticky keys: the unit a user is assigned by. Sources are tried in the configured order and the
 * first present one wins; when none is, a random id is generated and issued as a cookie so that an
 * anonymous browser stays on its arm.
 */
import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** What key extraction reads from a request. */
export interface StickyInput {
  readonly headers: IncomingHttpHeaders;
  /** Raw query string without `?`, or '' */
  readonly query: string;
  readonly clientIp: string;
}

/** The key a request is assigned by, where it came from, and a cookie to set when it was generated. */
export interface StickyKey {
  readonly key: string;
  readonly source: string;
  /** Set when the key was generated: the cookie name to issue it under. */
  readonly issueCookie?: string;
}

type Getter = (req: StickyInput) => string | undefined;

/** The cookie anonymous users get when no configured source names a cookie. */
export const DEFAULT_STICKY_COOKIE = 'fl_uid';

/**
 * Compiles an ordered source list (`header:NAME`, `cookie:NAME`, `query:NAME`, `ip`).
 * @example compileSticky(['header:x-user-id', 'cookie:fl_uid'])(req).key
 */
export function compileSticky(sources: readonly string[]): (req: StickyInput) => StickyKey {
  const cookieName = sources.find((s) => s.startsWith('cookie:'))?.slice(7) ?? DEFAULT_STICKY_COOKIE;
  // The issued cookie must be read back on the next request even if no cookie source was listed.
  const all = sources.some((s) => s.startsWith('cookie:')) ? sources : [...sources, `cookie:${cookieName}`];
  const getters = all.map((s) => [s, compileSource(s)] as const);
  return (req) => {
    for (const [source, get] of getters) {
      const key = get(req);
      if (key) return { key, source };
    }
    return { key: randomUUID(), source: 'generated', issueCookie: cookieName };
  };
}

/**
 * Compiles one source to a getter; also used for `force:`.
 * @example compileSource('cookie:fl_arm')({ headers: { cookie: 'fl_arm=variant' }, query: '', clientIp: '' }) // 'variant'
 */
export function compileSource(source: string): Getter {
  if (source === 'ip') return (req) => req.clientIp || undefined;
  const colon = source.indexOf(':');
  const kind = source.slice(0, colon);
  const name = source.slice(colon + 1);
  const lower = name.toLowerCase();
  switch (kind) {
    case 'header':
      return (req) => {
        // Own string values only: the headers object inherits from Object.prototype (header:constructor).
        const raw: unknown = req.headers[lower];
        const v = Array.isArray(raw) ? raw[0] : raw;
        return typeof v === 'string' ? v.trim() || undefined : undefined;
      };
    case 'cookie':
      return (req) => readCookie(req.headers.cookie, name);
    case 'query':
      return (req) => readQuery(req.query, name);
    default:
      return () => undefined;
  }
}

/** Reads one cookie value without parsing the whole header into an object. */
export function readCookie(header: string | undefined, name: string): string | undefined {
  if (!header) return undefined;
  let i = 0;
  while (i < header.length) {
    const end = header.indexOf(';', i);
    const stop = end === -1 ? header.length : end;
    const eq = header.indexOf('=', i);
    if (eq !== -1 && eq < stop && header.slice(i, eq).trim() === name) {
      const value = header
        .slice(eq + 1, stop)
        .trim()
        .replace(/^"(.*)"$/, '$1');
      return value || undefined;
    }
    i = stop + 1;
  }
  return undefined;
}

function readQuery(query: string, name: string): string | undefined {
  return queryParam(query, name) || undefined;
}

/**
 * One query parameter's decoded value: '' when present without a value (`?beta`), undefined when absent.
 * @example queryParam('a=1&beta', 'beta') // ''
 */
export function queryParam(query: string, name: string): string | undefined {
  if (!query) return undefined;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    const k = eq === -1 ? pair : pair.slice(0, eq);
    if (safeDecode(k) === name) return eq === -1 ? '' : safeDecode(pair.slice(eq + 1));
  }
  return undefined;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s.replace(/\+/g, ' '));
  } catch {
    return s;
  }
}

/**
 * The Set-Cookie value for an issued sticky id: long-lived, HttpOnly, SameSite=Lax, Secure on TLS.
 * @example stickyCookie('fl_uid', 'abc', true) // 'fl_uid=abc; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax; Secure'
 */
export function stickyCookie(name: string, value: string, secure: boolean): string {
  return `${name}=${value}; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax${secure ? '; Secure' : ''}`;
}
