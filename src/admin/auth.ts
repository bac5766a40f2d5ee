/**
 * Who may do what on the admin API. Reads (GET/HEAD: metrics, dashboard, reports, status) take the
 * read token, the write token or `admin.token`, as a bearer token or as the session cookie the login
 * form sets. Writes (every other method: manual actions, reload) take only the write token or
 * `admin.token`, and only as a bearer header: a browser attaches cookies by itself but never an
 * Authorization header, so a forged cross-site form can't act (the header is the CSRF token).
 * With no token configured the API is open, which the schema only allows on loopback.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

/** The admin part of the config, as far as access goes. */
export interface AdminCredentials {
  readonly token?: string | undefined;
  readonly readToken?: string | undefined;
  readonly writeToken?: string | undefined;
}

/** What a request is allowed: nothing, reads, or reads and writes. */
export type AccessLevel = 'none' | 'read' | 'write';

/** The session cookie's name; HttpOnly, SameSite=Strict, scoped to the admin listener. */
export const SESSION_COOKIE = 'fl_admin';

/** How long a login lasts. */
export const SESSION_SECONDS = 12 * 3600;

function equal(given: string, want: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(want);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The level a bare token grants under `creds` ('none' when it matches nothing). */
export function tokenLevel(creds: AdminCredentials, token: string): AccessLevel {
  if (!token) return 'none';
  if ((creds.writeToken && equal(token, creds.writeToken)) || (creds.token && equal(token, creds.token))) return 'write';
  if (creds.readToken && equal(token, creds.readToken)) return 'read';
  return 'none';
}

/** True when some token is configured (then every guarded request must bring one). */
export function tokensConfigured(creds: AdminCredentials): boolean {
  return Boolean(creds.token || creds.readToken || creds.writeToken);
}

const sign = (secret: string, expires: number) =>
  createHmac('sha256', secret).update(`fieldlab-admin-session:${expires}`).digest('base64url');

/**
 * A session cookie value for someone who proved `token`: `EXPIRES.MAC`, keyed by the token itself, so
 * rotating a token ends its sessions and the cookie never carries the token.
 * @example sessionValue('r3ad', Date.now()) // '1764650000.Qx…'
 */
export function sessionValue(token: string, now: number): string {
  const expires = Math.floor(now / 1000) + SESSION_SECONDS;
  return `${expires}.${sign(token, expires)}`;
}

function sessionValid(creds: AdminCredentials, value: string, now: number): boolean {
  const m = /^(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(value);
  if (!m || Number(m[1]) * 1000 <= now) return false;
  const expires = Number(m[1]);
  return [creds.token, creds.readToken, creds.writeToken].some((t) => t !== undefined && t !== '' && equal(m[2]!, sign(t, expires)));
}

function cookie(req: IncomingMessage, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq !== -1 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/**
 * The access a request has. `exposed`: the listener is bound beyond loopback (then an API without
 * tokens grants nothing; the schema refuses that config, this is the second lock).
 * @example accessOf(req, { readToken: 'r', writeToken: 'w' }, true) // 'read' for `Authorization: Bearer r`
 */
export function accessOf(req: IncomingMessage, creds: AdminCredentials, exposed: boolean, now = Date.now()): AccessLevel {
  if (!tokensConfigured(creds)) return exposed ? 'none' : 'write';
  const bearer = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? '')?.[1]?.trim();
  if (bearer !== undefined) return tokenLevel(creds, bearer);
  // A cookie only ever grants reads (see the file header).
  const session = cookie(req, SESSION_COOKIE);
  return session !== undefined && sessionValid(creds, session, now) ? 'read' : 'none';
}

/** What a request needs: GET and HEAD read, everything else writes. */
export function requiredLevel(method: string | undefined): Exclude<AccessLevel, 'none'> {
  return method === 'GET' || method === 'HEAD' ? 'read' : 'write';
}
