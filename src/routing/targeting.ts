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
  // Linear-time string tests only: a regular expression over client-chosen values would let one
  // request with a crafted header stall the proxy (catastrophic backtracking, ReDoS).
  readonly prefix?: string | undefined;
  readonly suffix?: string | undefined;
  readonly contains?: string | undefined;
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
    checks.push(condition(c, (req) => headerValue(req.headers[lower]), true));
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

/**
 * One condition over one attribute reader. Header values are lists (RFC 9110 §5.3: a repeated header
 * is its values joined by commas), so for headers equals/in hold only when every element does and
 * notIn when none is listed: a client adding its own `x-plan: free` beside the edge's cannot slip in.
 */
function condition(c: ConditionSpec, read: Read, list = false): Check {
  if (c.exists !== undefined) {
    const want = c.exists;
    return (req) => (read(req) !== undefined) === want;
  }
  const every = (v: string, ok: (x: string) => boolean) => (list && v.includes(',') ? v.split(',').every((x) => ok(x.trim())) : ok(v));
  if (c.equals !== undefined) {
    const want = c.equals;
    return (req) => {
      const v = read(req);
      return v !== undefined && every(v, (x) => x === want);
    };
  }
  if (c.in) {
    const set = new Set(c.in);
    return (req) => {
      const v = read(req);
      return v !== undefined && every(v, (x) => set.has(x));
    };
  }
  if (c.notIn) {
    const set = new Set(c.notIn);
    return (req) => {
      const v = read(req);
      return v === undefined || every(v, (x) => !set.has(x));
    };
  }
  if (c.prefix !== undefined) {
    const want = c.prefix;
    return (req) => read(req)?.startsWith(want) === true;
  }
  if (c.suffix !== undefined) {
    const want = c.suffix;
    return (req) => read(req)?.endsWith(want) === true;
  }
  if (c.contains !== undefined) {
    const want = c.contains;
    return (req) => read(req)?.includes(want) === true;
  }
  return () => true;
}

/**
 * A header's value. Only strings and arrays are header values: the headers object inherits from
 * Object.prototype, so a rule on a header named `constructor` must not read a function.
 */
function headerValue(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim();
  return Array.isArray(v) ? v.join(', ') : undefined;
}
