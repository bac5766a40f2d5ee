/**
 * The QA override (`force:`): a request may name the arm it wants instead of the one its sticky key
 * hashes to. Left open, that lets any client pick any live arm, so it comes with locks:
 *
 * - `allowFrom`: only clients in these CIDRs (the client address as resolved behind
 *   `trustedProxies`) may force;
 * - `secret`: the value must be signed, `ARM.EXPIRY.SIG` with
 *   `SIG = base64url(HMAC-SHA256(secret, ROUTE|ARM|EXPIRY))` and EXPIRY in Unix seconds, so a value
 *   minted for one route, arm and hour can't be edited into another;
 * - an arm a decision rolled back is never forced unless `allowRolledBack` (routing/weights.ts).
 *
 * Both locks set means both must hold. A refused override is counted (force-stats.ts) and the
 * request is assigned as if it had sent none: never an error, so a stale QA cookie can't break a page.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { createTrustedProxies, type TrustedProxies } from '../net/cidr.js';
import { compileSource, type StickyInput } from './sticky.js';

/** The `force:` block as written (the string shorthand is `{ from }`). */
export interface ForceSpec {
  readonly from: string;
  readonly allowFrom?: readonly string[] | undefined;
  readonly secret?: string | undefined;
  readonly allowRolledBack?: boolean | undefined;
  /** The longest a signed value may live, from now (default 7 days). */
  readonly maxTtlSeconds?: number | undefined;
}

/** Default `force.maxTtl`: a week covers a QA cycle; longer values are refused as `too-long`. */
export const DEFAULT_MAX_TTL_SECONDS = 7 * 24 * 3600;

/** Why an override was not followed. */
export type ForceRefusal = 'not-allowed' | 'unsigned' | 'bad-signature' | 'expired' | 'too-long' | 'unknown-arm' | 'rolled-back';

/** Every refusal reason, for counters that list zeros too. */
export const FORCE_REFUSALS: readonly ForceRefusal[] = [
  'not-allowed',
  'unsigned',
  'bad-signature',
  'expired',
  'too-long',
  'unknown-arm',
  'rolled-back',
];

/** What an override asks for: an arm name, a refusal, or nothing (no value sent). */
export type ForceRead = { readonly arm: string } | { readonly refused: ForceRefusal } | undefined;

/** A compiled `force:` block. */
export interface ForcePolicy {
  readonly from: string;
  readonly allowFrom: readonly string[] | undefined;
  readonly signed: boolean;
  readonly allowRolledBack: boolean;
  /** Reads the override of one request on `route` at `nowSec` (Unix seconds). */
  read(route: string, input: StickyInput, nowSec: number): ForceRead;
}

/**
 * Compiles a `force:` value (string shorthand or block) once at config compile.
 * @example compileForce({ from: 'header:x-fieldlab-arm', allowFrom: ['10.0.0.0/8'] }).read('checkout', req, now)
 */
export function compileForce(raw: string | ForceSpec, proxies?: TrustedProxies): ForcePolicy {
  const spec: ForceSpec = typeof raw === 'string' ? { from: raw } : raw;
  const get = compileSource(spec.from);
  const allowed = spec.allowFrom?.length ? createTrustedProxies(spec.allowFrom) : undefined;
  // A trusted proxy's own address is what client-ip.ts falls back to when the proxy sent no usable
  // X-Forwarded-For (none, `unknown`, garbage): it names no client, so it never passes allowFrom —
  // otherwise an allowFrom that overlaps trustedProxies lets anyone behind the proxy force.
  const vouchedFor = (ip: string) => allowed!.has(ip) && !(proxies && !proxies.empty && proxies.has(ip));
  const secret = spec.secret ? Buffer.from(spec.secret) : undefined;
  const maxTtl = spec.maxTtlSeconds ?? DEFAULT_MAX_TTL_SECONDS;
  return {
    from: spec.from,
    allowFrom: spec.allowFrom,
    signed: secret !== undefined,
    allowRolledBack: spec.allowRolledBack === true,
    read(route, input, nowSec) {
      const value = get(input);
      if (value === undefined) return undefined;
      if (allowed && !vouchedFor(input.clientIp)) return { refused: 'not-allowed' };
      return secret ? verify(secret, route, value, nowSec, maxTtl) : { arm: value };
    },
  };
}

/**
 * Mints a signed override value (what `fieldlab force-value` prints).
 * @example signForce('s3cret…', 'checkout', 'variant', 1767225600) // 'variant.1767225600.<43 base64url chars>'
 */
export function signForce(secret: string, route: string, arm: string, expiry: number): string {
  return `${arm}.${expiry}.${mac(Buffer.from(secret), route, arm, String(expiry)).toString('base64url')}`;
}

function mac(secret: Buffer, route: string, arm: string, expiry: string): Buffer {
  return createHmac('sha256', secret).update(`${route}|${arm}|${expiry}`).digest();
}

// Parsed from the right: arm names may contain dots, expiry and signature never do.
function verify(secret: Buffer, route: string, value: string, nowSec: number, maxTtl: number): ForceRead {
  const sigDot = value.lastIndexOf('.');
  const expDot = sigDot > 0 ? value.lastIndexOf('.', sigDot - 1) : -1;
  if (expDot <= 0) return { refused: 'unsigned' };
  const arm = value.slice(0, expDot);
  const expiry = value.slice(expDot + 1, sigDot);
  if (!/^\d{1,12}$/.test(expiry)) return { refused: 'bad-signature' };
  // The text is compared, not its decoding (a lenient decoder would accept junk around it), in
  // constant time, so the signature can't be found a byte at a time.
  const given = Buffer.from(value.slice(sigDot + 1));
  const want = Buffer.from(mac(secret, route, arm, expiry).toString('base64url'));
  if (given.length !== want.length || !timingSafeEqual(given, want)) return { refused: 'bad-signature' };
  if (Number(expiry) < nowSec) return { refused: 'expired' };
  // A leaked value must not be a permanent credential: one that claims to live longer than maxTtl
  // from now was minted against the policy (or by someone holding the secret carelessly).
  if (Number(expiry) > nowSec + maxTtl) return { refused: 'too-long' };
  return { arm };
}
