/**
 * What a worker relays of its traced exchanges (trace-relay.ts), and the checks the primary runs on
 * each item before it reaches the span join: the message came from another process.
 */
import type { JoinPair } from '../traces/trace-join.js';

/** One relayed pair and what it is (a shadow's or a noise copy's). */
export interface RelayedPair {
  readonly pair: JoinPair;
  readonly kind: 'shadow' | 'noise';
}

/** One sampled arm request (ArmProfiles.note's arguments). */
export interface RelayedNote {
  readonly route: string;
  readonly arm: string;
  readonly traceId: string;
  readonly spanId: string;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isHex = (x: unknown, len: number): x is string => typeof x === 'string' && x.length === len && /^[0-9a-f]+$/.test(x);
const isStr = (x: unknown): x is string => typeof x === 'string';
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0;
const isSide = (x: unknown) => isObj(x) && Number.isSafeInteger(x.status) && isNum(x.latencyMs);

/**
 * Whether `x` is a relayed pair as a worker sends it (the primary checks every field it reads).
 * @example isRelayedPair({ kind: 'noise', pair }) // true for a pair slimmed by slimPair
 */
export function isRelayedPair(x: unknown): x is RelayedPair {
  if (!isObj(x) || (x.kind !== 'shadow' && x.kind !== 'noise') || !isObj(x.pair)) return false;
  const p = x.pair;
  return (
    isStr(p.route) &&
    isStr(p.shadow) &&
    isStr(p.method) &&
    isStr(p.path) &&
    (p.routeTemplate === undefined || isStr(p.routeTemplate)) &&
    isStr(p.requestId) &&
    isHex(p.traceId, 32) &&
    isObj(p.spans) &&
    isHex(p.spans.primary, 16) &&
    isHex(p.spans.candidate, 16) &&
    isNum(p.at) &&
    isSide(p.primary) &&
    isSide(p.candidate)
  );
}

/**
 * Whether `x` is a relayed arm request.
 * @example isRelayedNote({ route: 'r', arm: 'variant', traceId: '0af7…', spanId: 'b7ad…' })
 */
export function isRelayedNote(x: unknown): x is RelayedNote {
  return isObj(x) && isStr(x.route) && isStr(x.arm) && isHex(x.traceId, 32) && isHex(x.spanId, 16);
}
