/**
 * QA control of faults (`fault.header`): a request may ask for its route's abort or delay with a
 * value signed like a force override (routing/force.ts, the same HMAC code and checks), naming
 * `fault:abort`, `fault:delay`, `fault:first-byte` or `fault:throttle` in place of an arm:
 * `fault:KIND.EXPIRY.SIG`, minted with
 * `fieldlab force-value ROUTE fault:KIND`. There is no unsigned form. A refused value (unsigned,
 * bad signature, expired, too long, not allowed, a kind the route has no block for) is counted and
 * the request is drawn as if it had sent none, never an error.
 */
import type { StickyInput } from '../routing/sticky.js';
import { abortOf, delayOf, type FaultDecision, firstByteOf, throttleOf } from './decide.js';
import type { CompiledFault } from './fault-spec.js';

/** Every result of a fault request, for counters. */
export const HEADER_RESULTS = ['followed', 'not-allowed', 'unsigned', 'bad-signature', 'expired', 'too-long', 'unknown-kind'] as const;

/** What a fault request came to. */
export type HeaderResult = (typeof HEADER_RESULTS)[number];

/**
 * Reads the fault request of one request on `route` at `nowSec`; undefined when none was sent.
 * @example readFaultHeader(fault, 'checkout', { headers, query: '', clientIp }, now) // { result: 'followed', decision: { kind: 'abort' } }
 */
export function readFaultHeader(
  f: CompiledFault,
  route: string,
  input: StickyInput,
  nowSec: number,
  random: () => number = Math.random,
): { readonly result: HeaderResult; readonly decision?: FaultDecision } | undefined {
  const read = f.header?.read(route, input, nowSec);
  if (!read) return undefined;
  if ('refused' in read)
    return { result: read.refused === 'unknown-arm' || read.refused === 'rolled-back' ? 'unknown-kind' : read.refused };
  // Only a kind the route configures: its block gives the status or the delay range.
  if (read.arm === 'fault:abort' && f.hasAbort) return { result: 'followed', decision: abortOf(f) };
  if (read.arm === 'fault:delay' && f.hasDelay) return { result: 'followed', decision: delayOf(f, random) };
  if (read.arm === 'fault:first-byte' && f.hasFirstByte) return { result: 'followed', decision: firstByteOf(f, random) };
  if (read.arm === 'fault:throttle' && f.hasThrottle) return { result: 'followed', decision: throttleOf(f) };
  return { result: 'unknown-kind' };
}
