/**
 * Assignment leaks, told apart from moves the weights explain. Nested ranges (routing/assign.ts)
 * give every unit one bucket for life; an arm change is legitimate exactly when one bucket lands in
 * each arm the unit was seen in under the weights in force at that exposure — a ramp step down, a
 * rollback, a holdback released, a share change. So a unit is a leak when no single bucket fits all
 * of its (arm, weights) exposures: two variants, control and a variant under the same weights, a
 * variant under 0%, control after the variant shrank... The test needs no order or clock, so replicas
 * and workers applying a step a moment apart (or a late exposure write) cannot raise it, while a
 * changed seed, a forged arm or a replica with another layout does. Exact to the bucket, not sampled.
 */
import { armBuckets, buildRanges } from '../routing/assign.js';
import type { ExposureSet } from '../storage/experiment-types.js';

type Ranges = [number, number][];

/**
 * Units whose arms no single bucket explains under the weights of their exposures.
 * @example unexplainedUnits(['control', 'variant'], [{ exposures: [['control', '50,50'], ['variant', '50,50']], units: 3 }]) // 3
 */
export function unexplainedUnits(arms: readonly string[], sets: readonly ExposureSet[]): number {
  let n = 0;
  for (const s of sets) if (!explained(arms, s.exposures)) n += s.units;
  return n;
}

/**
 * True when some bucket is in every exposure's arm under that exposure's weights. An arm the config
 * no longer has, or weights of another arm count, are not judged (an operator changed the experiment).
 * @example explained(['control', 'variant'], [['variant', '90,10'], ['control', '100,0']]) // true: a rollback
 */
export function explained(arms: readonly string[], exposures: ExposureSet['exposures']): boolean {
  let fit: Ranges | undefined;
  for (const [arm, weights] of exposures) {
    const index = arms.indexOf(arm);
    const pcts = weights.split(',').map(Number);
    if (index < 0 || pcts.length !== arms.length || pcts.some((p) => !Number.isFinite(p))) return true;
    const own = armBuckets(buildRanges(pcts.slice(1)), index);
    fit = fit === undefined ? own : intersect(fit, own);
    if (fit.length === 0) return false;
  }
  return true;
}

// Both lists are sorted and disjoint (armBuckets' order), so one merge pass intersects them.
function intersect(a: Ranges, b: Ranges): Ranges {
  const out: Ranges = [];
  for (let i = 0, j = 0; i < a.length && j < b.length; ) {
    const lo = Math.max(a[i]![0], b[j]![0]);
    const hi = Math.min(a[i]![1], b[j]![1]);
    if (lo < hi) out.push([lo, hi]);
    if (a[i]![1] < b[j]![1]) i++;
    else j++;
  }
  return out;
}
