/**
 * Targeting: an experiment's attribute rules compiled once into one predicate over the request —
 * headers, cookies, query parameters and the client IP the ingress resolved (behind trustedProxies,
 * so a client can't claim an address). Rules are ANDed; a route without rules has no predicate at
 * all, so targeting costs nothing where it isn't used.
 */
import { createCidrSet } from '../net/cidr.js';
import { queryParam, readCookie, type StickyInput } from './sticky.js';

/** One attribute's condition; exactly one operator is set (the config schema guarantees it). */
export interface ConditionSpec {
  readonly equals?: string | undefined;
  readonly in?: readonly string[] | undefined;
  /** Absent, or present with none of these. */
  readonly notIn?: readonly string[] | undefined;
  readonly exists?: boolean | undefined;
  readonly regex?: string | undefined;
}

/** `experiment.when` as routing reads it. */
export interface TargetingSpec {
  readonly header?: Readonly<Record<string, ConditionSpec>> | undefined;
  readonly cookie?: Readonly<Record<string, ConditionSpec>> | undefined;
  readonly query?: Readonly<Record<string, ConditionSpec>> | undefined;
  readonly ip?: { readonly in?: readonly string[] | undefined; readonly notIn?: readonly string[] | undefined } | undefined;
}

type Check = (req: StickyInput) => boolean;
type Read = (req: StickyInput) => string | undefined;

/**
 * Compiles the rules to one predicate: true when the request is in the experiment.
 * @example compileTargeting({ header: { 'x-plan': { in: ['pro'] } } })({ headers: { 'x-plan': 'pro' }, query: '', clientIp: '' }) // true
 */
export function compileTargeting(spec: TargetingSpec): Check {
  const checks: Check[] = [];
  for (const [name, c] of Object.entries(spec.header ?? {})) {
    const lower = name.toLowerCase();
    checks.push(condition(c, (req) => headerValue(req.headers[lower])));
  }
  for (const [name, c] of Object.entries(spec.cookie ?? {})) checks.push(condition(c, (req) => readCookie(req.headers.cookie, name)));
  for (const [name, c] of Object.entries(spec.query ?? {})) checks.push(condition(c, (req) => queryParam(req.query, name)));
  if (spec.ip?.in) {
    const set = createCidrSet(spec.ip.in);
    checks.push((req) => set.has(req.clientIp));
  }
  if (spec.ip?.notIn) {
    const set = createCidrSet(spec.ip.notIn);
    checks.push((req) => !set.has(req.clientIp));
  }
  if (checks.length === 1) return checks[0]!;
  return (req) => {
    for (const check of checks) if (!check(req)) return false;
    return true;
  };
}

/** One condition over one attribute reader. */
function condition(c: ConditionSpec, read: Read): Check {
  if (c.exists !== undefined) {
    const want = c.exists;
    return (req) => (read(req) !== undefined) === want;
  }
  if (c.equals !== undefined) {
    const want = c.equals;
    return (req) => read(req) === want;
  }
  if (c.in) {
    const set = new Set(c.in);
    return (req) => {
      const v = read(req);
      return v !== undefined && set.has(v);
    };
  }
  if (c.notIn) {
    const set = new Set(c.notIn);
    return (req) => {
      const v = read(req);
      return v === undefined || !set.has(v);
    };
  }
  if (c.regex !== undefined) {
    const re = new RegExp(c.regex);
    return (req) => {
      const v = read(req);
      return v !== undefined && re.test(v);
    };
  }
  return () => true;
}

/** A header's value: repeated headers (an array) count as their comma-joined list, as RFC 9110 §5.3 allows. */
function headerValue(v: string | string[] | undefined): string | undefined {
  if (v === undefined) return undefined;
  return Array.isArray(v) ? v.join(', ') : v.trim();
}
