/**
 * A route's `fault:` compiled for the hot path: thresholds in buckets, the arm set and the abort
 * reply, built once per config, so a request on a faulting route pays one or two hashes and a few
 * compares, and a request on any other route pays nothing.
 */
import type { RawFault } from '../config/schema-fault.js';
import { type FieldlabErrorDef, FL_FAULT_INJECTED } from '../errors.js';
import type { TrustedProxies } from '../net/cidr.js';
import { compileForce, type ForcePolicy } from '../routing/force.js';
import { BUCKETS } from '../routing/hash.js';
import { compileRamp, type CompiledRamp } from './ramp-spec.js';

/** One route's compiled `fault:`. */
export interface CompiledFault {
  /** Draw by the route's sticky key (true: the same units keep the fault) or anew per request. */
  readonly byUnit: boolean;
  /** Arms that may be faulted; undefined: all. */
  readonly arms: ReadonlySet<string> | undefined;
  /** The route has `abort:` / `delay:` (what a signed request may ask for, even at 0%). */
  readonly hasAbort: boolean;
  readonly hasDelay: boolean;
  /** Abort when the abort bucket is below this (percent × 100); 0: no abort. */
  readonly abortBelow: number;
  /** The injected answer (FL_FAULT_INJECTED with the configured status), or undefined for a reset. */
  readonly abortReply: FieldlabErrorDef | undefined;
  /** Delay when the delay bucket is below this; 0: no delay. */
  readonly delayBelow: number;
  /** Delay bounds in ms (equal for a fixed delay). */
  readonly delayMinMs: number;
  readonly delayMaxMs: number;
  /** The route has `response.firstByte` / `response.throttle`. */
  readonly hasFirstByte: boolean;
  readonly hasThrottle: boolean;
  /** Hold the response head when the first-byte bucket is below this; 0: never. */
  readonly firstByteBelow: number;
  readonly firstByteMinMs: number;
  readonly firstByteMaxMs: number;
  /** Throttle the response body when the throttle bucket is below this; 0: never. */
  readonly throttleBelow: number;
  /** The throttled body's bandwidth, bytes/s. */
  readonly throttleRate: number;
  /** Signed QA requests for a fault (`fault.header`): the force policy, verifying `fault:KIND` values. */
  readonly header: ForcePolicy | undefined;
  /** Faults in progress at once on this route, per process (faults/control.ts). */
  readonly maxActive: number;
  /** `fault.ramp` (the sick-canary ramp), which sets its own level per step (faults/ramp-level.ts). */
  readonly ramp?: CompiledRamp | undefined;
}

/**
 * Compiles `fault:`.
 * @example compileFault({ by: 'unit', abort: { percent: 10, status: 503, reset: false } }).abortBelow // 1000
 */
export function compileFault(raw: RawFault, proxies?: TrustedProxies): CompiledFault {
  const status = raw.abort?.status ?? raw.ramp?.status ?? FL_FAULT_INJECTED.status;
  return {
    byUnit: raw.by === 'unit',
    arms: raw.arms ? new Set(raw.arms) : undefined,
    hasAbort: raw.abort !== undefined,
    hasDelay: raw.delay !== undefined,
    abortBelow: below(raw.abort?.percent),
    abortReply: raw.abort?.reset ? undefined : status === FL_FAULT_INJECTED.status ? FL_FAULT_INJECTED : { ...FL_FAULT_INJECTED, status },
    delayBelow: below(raw.delay?.percent),
    delayMinMs: raw.delay?.fixed ?? raw.delay?.min ?? 0,
    delayMaxMs: raw.delay?.fixed ?? raw.delay?.max ?? 0,
    ...compileResponse(raw.response),
    // The signing and checks of force: (routing/force.ts) as they are; a `fault:KIND` "arm" can never
    // be a real arm (names have no colon), so a force value is never a fault request, nor the reverse.
    header: raw.header
      ? compileForce(
          {
            from: raw.header.from,
            secret: raw.header.secret,
            allowFrom: raw.header.allowFrom,
            maxTtlSeconds: Math.floor(raw.header.maxTtl / 1000),
          },
          proxies,
        )
      : undefined,
    maxActive: raw.maxActive,
    ramp: raw.ramp ? compileRamp(raw.ramp) : undefined,
  };
}

function compileResponse(r: RawFault['response']) {
  return {
    hasFirstByte: r?.firstByte !== undefined,
    hasThrottle: r?.throttle !== undefined,
    firstByteBelow: below(r?.firstByte?.percent),
    firstByteMinMs: r?.firstByte?.fixed ?? r?.firstByte?.min ?? 0,
    firstByteMaxMs: r?.firstByte?.fixed ?? r?.firstByte?.max ?? 0,
    throttleBelow: below(r?.throttle?.percent),
    throttleRate: r?.throttle?.rate ?? 0,
  };
}

function below(percent: number | undefined): number {
  return Math.min(BUCKETS, Math.round((percent ?? 0) * 100));
}
