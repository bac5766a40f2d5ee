/**
 * A route's `fault.ramp` compiled once per config: the levels, the slice threshold in buckets and
 * its salt (the fault slice of decide.ts: the same units a fixed fault of that kind would pick), and
 * the judging knobs as ratios. `identity` names the ramp run: a stored ramp is resumed only by a
 * config with the same identity, never mistaken for a new one.
 */
import type { RawFaultRamp } from '../config/schema-fault-ramp.js';
import { BUCKETS, bucketOf } from '../routing/hash.js';

/** One route's compiled ramp. */
export interface CompiledRamp {
  readonly kind: 'delay' | 'abort';
  /** Delays in ms, or abort shares in percent, weakest first. */
  readonly levels: readonly number[];
  /** A unit is in the slice when its fault-slice bucket is below this (percent × 100). */
  readonly sliceBelow: number;
  /** `fault:delay` or `fault:abort`: the salt of the slice hash. */
  readonly salt: string;
  readonly dwellMs: number;
  readonly minUnits: number;
  readonly goal: string | undefined;
  /** Largest tolerated relative goal drop (0.05 for 5%). */
  readonly maxDrop: number;
  readonly vitals: boolean;
  readonly tolerance: number;
  readonly alpha: number;
  /** Share (0..1) of the route's error budget injected failures may spend; undefined: no budget. */
  readonly budget: number | undefined;
  /** JSON of run, kind and levels: the stored state's key to resume. */
  readonly identity: string;
}

/**
 * Compiles `fault.ramp`.
 * @example compileRamp(raw).levels // [100, 250, 500, 1000]
 */
export function compileRamp(raw: RawFaultRamp): CompiledRamp {
  const kind = raw.delays ? 'delay' : 'abort';
  const levels = raw.delays ?? raw.aborts ?? [];
  return {
    kind,
    levels,
    sliceBelow: Math.min(BUCKETS, Math.round(raw.percent * 100)),
    salt: `fault:${kind}`,
    dwellMs: raw.dwell,
    minUnits: raw.minUnits,
    goal: raw.goal,
    maxDrop: raw.maxDrop / 100,
    vitals: raw.vitals,
    tolerance: raw.tolerance,
    alpha: raw.alpha,
    budget: raw.budget === undefined ? undefined : raw.budget / 100,
    identity: JSON.stringify([raw.run, kind, levels]),
  };
}

/**
 * Whether the unit with sticky `key` is in the ramp's slice (one hash).
 * @example inRampSlice(ramp, 'checkout-2026', 'user-42') // true for about percent% of keys
 */
export function inRampSlice(r: CompiledRamp, seed: string, key: string): boolean {
  return r.sliceBelow > 0 && bucketOf(`${r.salt}\n${seed}`, key) < r.sliceBelow;
}
