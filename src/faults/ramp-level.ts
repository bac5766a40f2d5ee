/**
 * The ramp level in force per route, published by the ramp runtime (faults/ramp-runtime.ts) and
 * read on the request path: one map lookup, no store, no await. No entry: the ramp injects nothing
 * (not started here, finished, stopped by the kill switch, on a fleet store, or a worker not told its step yet).
 */
import type { FaultDecision } from './decide.js';
import { inRampSlice, type CompiledRamp } from './ramp-spec.js';

const levels = new Map<string, number>();

/**
 * Sets (or clears, with undefined) the level of `route`'s ramp.
 * @example setRampLevel('checkout', 250)
 */
export function setRampLevel(route: string, level: number | undefined): void {
  if (level === undefined) levels.delete(route);
  else levels.set(route, level);
}

/**
 * The level in force on `route`, if any.
 * @example rampLevel('checkout') // 250
 */
export function rampLevel(route: string): number | undefined {
  return levels.get(route);
}

/**
 * The ramp's fault for one request of a unit with sticky `key`: every request of a slice unit is
 * delayed by the level, or aborted with the level's share (drawn per request: the unit keeps the
 * fault, not every answer). Undefined outside the slice or with no level in force.
 * @example decideRamp(ramp, 'checkout', seed, 'user-42') // { kind: 'delay', ms: 250 }
 */
export function decideRamp(
  r: CompiledRamp,
  route: string,
  seed: string,
  key: string,
  random: () => number = Math.random,
): FaultDecision | undefined {
  const level = levels.get(route);
  if (level === undefined || !inRampSlice(r, seed, key)) return undefined;
  if (r.kind === 'delay') return { kind: 'delay', ms: level };
  return random() * 100 < level ? ABORT : undefined;
}

const ABORT: FaultDecision = Object.freeze({ kind: 'abort' });
