/**
 * Arm assignment by nested ranges. The bucket space is cut into one equal lane per variant; variant i
 * owns the first `weight_i` buckets of lane i and control owns every other bucket. Raising a variant's
 * percent therefore only takes buckets from control (users of other arms never move), lowering it
 * gives them back, and a rollback to 0 sends all of that variant's users to control.
 */
import { BUCKETS } from './hash.js';

/** Precomputed at config compile: one [start, end) bucket range per variant arm index. */
export interface ArmRanges {
  /** starts[i], ends[i] belong to arm i + 1 (arm 0 is control). */
  readonly starts: Uint32Array;
  readonly ends: Uint32Array;
}

/**
 * Lays out variant ranges. `percents[i]` is the weight of variant i (arm i + 1), 0–100, and must fit
 * its lane (100 / variants); the schema rejects configs that don't.
 * @example buildRanges([10]) // variant owns buckets [0, 1000)
 */
export function buildRanges(percents: readonly number[]): ArmRanges {
  const lane = percents.length > 0 ? BUCKETS / percents.length : BUCKETS;
  const starts = new Uint32Array(percents.length);
  const ends = new Uint32Array(percents.length);
  percents.forEach((pct, i) => {
    const start = Math.round(i * lane);
    starts[i] = start;
    ends[i] = start + Math.min(Math.round((pct / 100) * BUCKETS), Math.round(lane));
  });
  return { starts, ends };
}

/**
 * Returns the arm index for a bucket: 0 for control, i + 1 for variant i.
 * @example armForBucket(buildRanges([10]), 999) // 1
 */
export function armForBucket(ranges: ArmRanges, bucket: number): number {
  const { starts, ends } = ranges;
  for (let i = 0; i < starts.length; i++) {
    if (bucket >= starts[i]! && bucket < ends[i]!) return i + 1;
  }
  return 0;
}

/**
 * The [start, end) bucket ranges an arm owns, in order: one (or none at 0%) for a variant, the
 * complement of every variant's range for control — what `GET /routes` shows.
 * @example armBuckets(buildRanges([10]), 0) // [[1000, 10000]]
 */
export function armBuckets(ranges: ArmRanges, armIndex: number): [number, number][] {
  const { starts, ends } = ranges;
  if (armIndex > 0) {
    const [s, e] = [starts[armIndex - 1]!, ends[armIndex - 1]!];
    return e > s ? [[s, e]] : [];
  }
  // Variant ranges are laid out in lane order, so control's share is the gaps between them.
  const out: [number, number][] = [];
  let at = 0;
  for (let i = 0; i < starts.length; i++) {
    if (starts[i]! > at) out.push([at, starts[i]!]);
    at = Math.max(at, ends[i]!);
  }
  if (at < BUCKETS) out.push([at, BUCKETS]);
  return out;
}
