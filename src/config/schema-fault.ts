/**
 * The `fault:` key of a route (fault injection, issue 14): abort a share of requests with a status
 * (or a connection reset), delay a share (fixed or uniform), on a sticky slice of units or per
 * request, on some arms or all; on the response, delay the first byte or throttle the body
 * (`response:`). The arms it names are checked against the route's (`checkFaultArms`).
 */
import { z } from 'zod';
import { ForceSecret, ForceSource } from './schema-force.js';
import { parseCidr } from '../net/cidr.js';
import { Duration, Name, Percent, Size } from './schema-primitives.js';
import { FaultRamp } from './schema-fault-ramp.js';

const Abort = z
  .strictObject({
    percent: Percent.describe('Share of units (or requests, with by: request) answered with the fault'),
    status: z.number().int().min(200).max(599).prefault(503).describe('Status of the injected answer (default 503)'),
    reset: z.boolean().prefault(false).describe('Reset the client connection instead of answering (no status at all)'),
  })
  .describe('Answer without reaching the upstream: status (x-fieldlab-error: FL_FAULT_INJECTED) or a reset');

const Delay = z
  .strictObject({
    percent: Percent.describe('Share of units (or requests, with by: request) delayed'),
    fixed: Duration.optional().describe('Delay every faulted request by this much'),
    min: Duration.optional().describe('Uniform delay between min and max (with max)'),
    max: Duration.optional().describe('Uniform delay between min and max (with min)'),
  })
  .superRefine((d, ctx) => {
    const uniform = d.min !== undefined || d.max !== undefined;
    if (d.fixed !== undefined && uniform)
      ctx.addIssue({
        code: 'custom',
        message: 'use fixed, or min and max, not both',
      });
    else if (d.fixed === undefined && (d.min === undefined || d.max === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'a delay needs fixed: DURATION, or both min: and max:',
      });
    else if (d.min !== undefined && d.max !== undefined && d.min > d.max)
      ctx.addIssue({
        code: 'custom',
        path: ['min'],
        message: 'min is above max',
      });
    if ((d.fixed ?? d.max ?? 0) > 60_000)
      ctx.addIssue({
        code: 'custom',
        message: 'an injected delay is at most 60s',
      });
  })
  .describe('Hold the request before it is forwarded (fixed, or uniform between min and max)');

const Header = z
  .strictObject({
    from: ForceSource,
    secret: ForceSecret.describe(
      'Requests must be signed: fault:KIND.EXPIRY.base64url(HMAC-SHA256(secret, ROUTE|fault:KIND|EXPIRY)); mint with fieldlab force-value ROUTE fault:KIND',
    ),
    maxTtl: Duration.prefault('1d').describe('Longest a signed request may live from now; one claiming a later expiry is refused'),
    allowFrom: z
      .array(z.string().refine((v) => parseCidr(v) !== undefined, { message: 'invalid CIDR (use e.g. 10.0.0.0/8)' }))
      .min(1)
      .optional()
      .describe('Only clients in these CIDRs may ask (the client address as resolved behind trustedProxies)'),
  })
  .describe("QA: a request may ask for this route's abort or delay with a signed value (never an open header)");

// Response faults: the upstream answers, and the client gets that answer late or slowly.
const FirstByte = Delay.describe(
  "Hold the upstream's response head (and so its first byte) this long before it goes to the client (fixed, or uniform between min and max)",
);

/** Bytes per second: a size with an optional "/s" (64KiB/s, 1MiB/s, 65536). */
const Rate = z
  .preprocess((v) => (typeof v === 'string' ? v.replace(/\/s\s*$/, '') : v), Size)
  .refine((n) => n >= 1, { message: 'a throttle rate is at least 1 byte/s' })
  .describe('Bytes per second: 64KiB/s, 1MiB/s (bare numbers are bytes/s)');

const Throttle = z
  .strictObject({
    percent: Percent.describe('Share of units (or requests, with by: request) whose response body is throttled'),
    rate: Rate.describe('Response body bandwidth of a throttled request, bytes/s (e.g. 64KiB/s)'),
  })
  .describe("Send the upstream's response body to the client at most this fast (the upstream is paused in step, never buffered)");

const Response = z
  .strictObject({ firstByte: FirstByte.optional(), throttle: Throttle.optional() })
  .refine((r) => r.firstByte !== undefined || r.throttle !== undefined, 'fault.response needs firstByte:, throttle: or both')
  .describe('Faults on the response: delay its first byte, throttle its body');

/** `fault:` on a route. */
export const RouteFault = z
  .strictObject({
    by: z
      .enum(['unit', 'request'])
      .prefault('unit')
      .describe('unit: a sticky slice of units keeps the fault on every request; request: each request is drawn anew'),
    arms: z.array(Name).min(1).optional().describe('Arms whose requests may be faulted (default: every arm)'),
    abort: Abort.optional(),
    delay: Delay.optional(),
    response: Response.optional(),
    header: Header.optional(),
    maxActive: z
      .number()
      .int()
      .positive()
      .prefault(100)
      .describe(
        'Most requests of this route in a fault at once: per process, or on a PostgreSQL fleet for the whole fleet (each replica a share); beyond, no fault (counted)',
      ),
    ramp: FaultRamp.optional(),
  })
  .refine(
    (f) => f.abort !== undefined || f.delay !== undefined || f.response !== undefined || f.ramp !== undefined,
    'a fault needs abort:, delay:, response:, ramp: or several',
  )
  .describe('Fault injection: abort or delay a sticky slice of units (or a share of requests); kill switch: fieldlab faults off');

/** The validated `fault:`. */
export type RawFault = z.output<typeof RouteFault>;

/**
 * Reports `fault.arms` entries that are not arms of the route (run with the cross-reference checks).
 * @example checkFaultArms({ arms: { control: 'a' }, fault: { arms: ['v2'] } }, report)
 */
export function checkFaultArms(route: Record<string, unknown>, report: (path: (string | number)[], message: string) => void): void {
  const fault = route.fault as { arms?: unknown } | undefined;
  const arms = route.arms;
  if (!fault || !Array.isArray(fault.arms) || typeof arms !== 'object' || arms === null) return;
  fault.arms.forEach((a, i) => {
    if (typeof a === 'string' && !Object.hasOwn(arms, a)) report(['fault', 'arms', i], `"${a}" is not an arm of this route`);
  });
}
