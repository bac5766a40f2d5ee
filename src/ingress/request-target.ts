/**
 * The strict checks on a request's line and Host that Node's parser leaves to us: only HTTP/1.0 and
 * HTTP/1.1 request lines (HTTP/0.9 has no headers to route by, an `HTTP/2.0` line over HTTP/1 is a
 * lie), exactly one syntactically valid Host (RFC 9112 §3.2: a server MUST answer 400 to a request
 * with no Host in HTTP/1.1, more than one, or an invalid one), and an origin-form target whose path
 * is normalized for both matching and forwarding (`routing/normalize-path.ts`).
 */
import type { IncomingMessage } from 'node:http';
import { FL_BAD_HOST, FL_BAD_PATH, FL_BAD_REQUEST, FL_HTTP_VERSION, type FieldlabErrorDef } from '../errors.js';
import { normalizePath, type PathPolicy } from '../routing/normalize-path.js';

/** A checked request target. */
export interface RequestTarget {
  readonly ok: true;
  /** Host without port or trailing dot, lower-cased; '' for an HTTP/1.0 request without Host. */
  readonly host: string;
  /** The Host header as sent ('' when absent). */
  readonly hostHeader: string;
  /** Normalized path (what routes match and what the upstream gets). */
  readonly path: string;
  /** Normalized path plus `?query` when there was one. */
  readonly url: string;
  /** Raw query string without `?`, or ''. */
  readonly query: string;
}

/** A refused target: the registry error and a short reason for the log. */
export interface BadTarget {
  readonly ok: false;
  readonly error: FieldlabErrorDef;
  readonly reason: string;
}

// RFC 3986 §3.2.2 host, narrowed to what DNS names and IP literals use: LDH labels (and `_`, `~`,
// as some internal names have them), no empty labels, optional trailing dot; or a bracketed IPv6
// literal. Userinfo (`a@b`), lists (`a, b`), spaces and percent-encoding are refused: no real name
// contains them and they are how host confusion between proxy and upstream is staged.
const HOST = /^(?:\[[\dA-Fa-f:.]+\]|[A-Za-z\d_~-]+(?:\.[A-Za-z\d_~-]+)*\.?)(?::\d{1,5})?$/;

/**
 * Checks `req`'s version, Host and target.
 * @example const t = checkTarget(req, snap.config.paths); if (!t.ok) reply(t.error)
 */
export function checkTarget(req: IncomingMessage, paths: PathPolicy): RequestTarget | BadTarget {
  const bad = (error: FieldlabErrorDef, reason: string): BadTarget => ({ ok: false, error, reason });
  if (req.httpVersionMajor !== 1 || req.httpVersionMinor > 1) return bad(FL_HTTP_VERSION, `HTTP/${req.httpVersion}`);
  let hostHeader: string | undefined;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length !== 4 || raw[i]!.toLowerCase() !== 'host') continue;
    if (hostHeader !== undefined) return bad(FL_BAD_HOST, 'more than one Host header');
    hostHeader = raw[i + 1]!;
  }
  if (hostHeader === undefined && req.httpVersionMinor === 1) return bad(FL_BAD_HOST, 'no Host header');
  hostHeader ??= '';
  const host = hostOf(hostHeader);
  if (host === undefined) return bad(FL_BAD_HOST, 'invalid Host');

  const url = req.url ?? '';
  // Only origin-form targets (RFC 9112 §3.2.1); a reverse proxy has no business with absolute-form.
  if (url.charCodeAt(0) !== 47) return bad(FL_BAD_REQUEST, 'not an origin-form target');
  // An origin-form target has no fragment (RFC 9112 §3.2.1); an upstream parsing `#…` as one would
  // resolve the path differently from what was matched (`/public/..#x` → `/`).
  if (url.includes('#')) return bad(FL_BAD_PATH, 'fragment in request target');
  const q = url.indexOf('?');
  const rawPath = q === -1 ? url : url.slice(0, q);
  const query = q === -1 ? '' : url.slice(q + 1);
  const normalized = normalizePath(rawPath, paths);
  if (!normalized.ok) return bad(FL_BAD_PATH, normalized.reason);
  const path = normalized.path;
  return { ok: true, host, hostHeader, path, url: path === rawPath ? url : q === -1 ? path : `${path}?${query}`, query };
}

/** Valid Host headers seen → their routing host. Bounded, and only valid values enter it. */
const hosts = new Map<string, string>();
const MAX_HOSTS = 256;

/**
 * The routing host of a Host header (no port, no trailing dot, lower-cased), or undefined when invalid.
 * A proxy sees the same few Host values all day: the regexes run once per value, not per request.
 */
function hostOf(hostHeader: string): string | undefined {
  if (hostHeader === '') return '';
  const known = hosts.get(hostHeader);
  if (known !== undefined) return known;
  const port = hostHeader.match(/:(\d+)$/);
  if (!HOST.test(hostHeader) || (port && Number(port[1]) > 65535)) return undefined;
  const host = hostHeader.replace(/:\d+$/, '').replace(/\.$/, '').toLowerCase();
  if (hosts.size < MAX_HOSTS) hosts.set(hostHeader, host);
  return host;
}
