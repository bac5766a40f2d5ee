/**
 * The `force:` key of a route: where a QA override naming an arm comes from, and its locks (see
 * routing/force.ts). `force: header:NAME` is shorthand for `force: { from: header:NAME }`. Whether an
 * unlocked override is acceptable depends on who can reach the proxy, so schema.ts refuses one
 * when the proxy listens beyond loopback (`forceIssue`).
 */
import { z } from 'zod';
import { parseCidr } from '../net/cidr.js';
import { isLoopback } from '../net/ip.js';
import { Duration } from './schema-primitives.js';

/** `header:NAME` or `cookie:NAME` (also where a signed fault request comes from, schema-fault.ts). */
export const ForceSource = z
  .string()
  .regex(/^(?:header|cookie):[^\s:]+$/, 'use header:NAME or cookie:NAME')
  .describe('Where a QA override naming an arm comes from: header:NAME or cookie:NAME');

/** An HMAC secret for signed values (force and fault requests). */
export const ForceSecret = z
  .string()
  .min(16, 'a signing secret needs at least 16 characters')
  .refine((t) => t.trim() === t, 'secret has leading or trailing whitespace (a newline from a secret file?)');

const ForceBlock = z.strictObject({
  from: ForceSource,
  allowFrom: z
    .array(z.string().refine((v) => parseCidr(v) !== undefined, { message: 'invalid CIDR (use e.g. 10.0.0.0/8)' }))
    .min(1)
    .optional()
    .describe('Only clients in these CIDRs may force (the client address as resolved behind trustedProxies)'),
  secret: ForceSecret.optional().describe(
    'Values must be signed: ARM.EXPIRY.base64url(HMAC-SHA256(secret, ROUTE|ARM|EXPIRY)); mint with fieldlab force-value',
  ),
  maxTtl: Duration.prefault('7d').describe(
    'Longest a signed value may live from now; one claiming a later expiry is refused (a leaked value must not be forever)',
  ),
  allowRolledBack: z
    .boolean()
    .prefault(false)
    .describe('Let a forced request reach an arm a decision rolled back (default: it gets its hashed arm instead)'),
});

/** `force:`: a source string, or a block with locks. */
export const Force = z
  .union([ForceSource, ForceBlock])
  .describe('QA override: a request naming an arm gets it (header:NAME or cookie:NAME, or { from, allowFrom, secret, allowRolledBack })');

/** The `force:` value after validation. */
export type RawForce = z.output<typeof Force>;

/**
 * Why a route's override is unsafe on this listener, or undefined: an override with neither
 * `allowFrom` nor `secret` on a proxy reachable beyond loopback lets every client pick its arm.
 * @example forceIssue('header:x-arm', '0.0.0.0') // 'the proxy listens on 0.0.0.0 …'
 */
export function forceIssue(force: RawForce | undefined, listenHost: string): string | undefined {
  if (force === undefined || isLoopback(listenHost)) return undefined;
  if (typeof force !== 'string' && (force.allowFrom || force.secret)) return undefined;
  const from = typeof force === 'string' ? force : force.from;
  return (
    `the proxy listens on ${listenHost}, beyond loopback, so any client could pick this route's arm with ${from}: ` +
    'set force.allowFrom (client CIDRs, e.g. your office or VPN) or force.secret (signed values), ' +
    'or write allowFrom: [0.0.0.0/0, ::/0] to open it on purpose'
  );
}
