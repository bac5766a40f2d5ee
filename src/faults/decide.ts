/**
 * Whether one request is faulted, and how. By unit, the draw is the sticky hash of the unit's key
 * under a fault-only salt (`fault:abort\n` / `fault:delay\n` + route seed), so the same units keep
 * the fault on every request and replica, and the slice is independent of the arm's bucket range (a
 * 10% slice of a 10% variant is 10% of its units, not all or none of them). Per request, the draw
 * is Math.random(), never the request id: a client chooses its x-request-id, and no client may
 * steer a fault onto (or off) itself.
 */
import { BUCKETS, bucketOf } from '../routing/hash.js';
import type { CompiledFault } from './fault-spec.js';

/**
 * A decided fault: an abort (reply or reset), a delay in ms; or on the response, its first byte held
 * for ms, or its body throttled to bytes/s (faults/response-fault.ts).
 */
export type FaultDecision =
  | { readonly kind: 'abort' }
  | { readonly kind: 'reset' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'first-byte'; readonly ms: number }
  | { readonly kind: 'throttle'; readonly bytesPerSec: number };

/** The kinds that let the request through and act on its response. */
export type ResponseFaultDecision = Extract<FaultDecision, { kind: 'first-byte' | 'throttle' }>;

/** The kinds counted in `fieldlab_fault_injected_total`. */
export type FaultKind = FaultDecision['kind'];

/**
 * Decides the fault of one request on `arm` with sticky `key`: one fault per request, the first
 * slice the unit is in of abort, delay, first-byte, throttle (each slice has its own salt).
 * @example decideFault(fault, 'checkout', 'user-42', 'variant') // { kind: 'delay', ms: 250 } or undefined
 */
export function decideFault(
  f: CompiledFault,
  seed: string,
  key: string,
  arm: string,
  random: () => number = Math.random,
): FaultDecision | undefined {
  if (f.arms && !f.arms.has(arm)) return undefined;
  const draw = (salt: string) => (f.byUnit ? bucketOf(`fault:${salt}\n${seed}`, key) : Math.floor(random() * BUCKETS));
  if (f.abortBelow > 0 && draw('abort') < f.abortBelow) return abortOf(f);
  // The length is drawn per request even by unit: the unit keeps the fault, not one exact delay.
  if (f.delayBelow > 0 && draw('delay') < f.delayBelow) return delayOf(f, random);
  if (f.firstByteBelow > 0 && draw('first-byte') < f.firstByteBelow) return firstByteOf(f, random);
  if (f.throttleBelow > 0 && draw('throttle') < f.throttleBelow) return throttleOf(f);
  return undefined;
}

/**
 * The route's abort: its status reply, or a reset.
 * @example abortOf(fault) // { kind: 'abort' }
 */
export function abortOf(f: CompiledFault): FaultDecision {
  return f.abortReply ? ABORT : RESET;
}

/**
 * One delay drawn from the route's range (fixed: min = max).
 * @example delayOf(fault, () => 0.5) // { kind: 'delay', ms: 200 } for 100ms..300ms
 */
export function delayOf(f: CompiledFault, random: () => number): FaultDecision {
  return { kind: 'delay', ms: Math.round(f.delayMinMs + (f.delayMaxMs - f.delayMinMs) * random()) };
}

/**
 * One first-byte delay drawn from the route's `response.firstByte` range.
 * @example firstByteOf(fault, () => 0) // { kind: 'first-byte', ms: 1000 } for min: 1s
 */
export function firstByteOf(f: CompiledFault, random: () => number): FaultDecision {
  return { kind: 'first-byte', ms: Math.round(f.firstByteMinMs + (f.firstByteMaxMs - f.firstByteMinMs) * random()) };
}

/**
 * The route's response throttle.
 * @example throttleOf(fault) // { kind: 'throttle', bytesPerSec: 65536 }
 */
export function throttleOf(f: CompiledFault): FaultDecision {
  return { kind: 'throttle', bytesPerSec: f.throttleRate };
}

/**
 * Whether a decided fault acts on the response (the request is forwarded at once).
 * @example isResponseFault({ kind: 'throttle', bytesPerSec: 1024 }) // true
 */
export function isResponseFault(d: FaultDecision): d is ResponseFaultDecision {
  return d.kind === 'first-byte' || d.kind === 'throttle';
}

const ABORT: FaultDecision = Object.freeze({ kind: 'abort' });
const RESET: FaultDecision = Object.freeze({ kind: 'reset' });
