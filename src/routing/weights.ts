/**
 * A route's live weights. Config sets them; guardrails and manual actions change them at run time
 * (a rollback puts a variant to 0 at once, a rollout steps it up). The cell is the one mutable
 * thing a snapshot holds: replacing its ranges is a single assignment, so a request sees either the
 * old or the new layout, never a mix. After a reload the guardrails runtime re-applies its weights to
 * the new snapshot's cells in the same tick as the swap.
 */
import { buildRanges, type ArmRanges } from './assign.js';
import type { UnitPins } from './pins.js';

/** Live weights of a route's variants (control gets the rest). */
export interface WeightCell {
  /** Variant percents, in arm order (arm i + 1). */
  readonly percents: readonly number[];
  readonly ranges: ArmRanges;
  /** Who set the current weights: the config file, or a guardrail/manual decision. */
  readonly source: 'config' | 'runtime';
  /** Per variant (arm i + 1): true while a decision holds it rolled back, so no QA override reaches it. */
  readonly closed: readonly boolean[];
  set(percents: readonly number[], source?: 'config' | 'runtime', closed?: readonly boolean[]): void;
  /** Set by the bandit (experiments/bandit.ts): units keep the arm they first got while weights move. */
  pins: UnitPins | undefined;
}

/**
 * Creates a cell holding `percents`.
 * @example const cell = createWeightCell([10]); cell.set([0], 'runtime', [true]) // rollback
 */
export function createWeightCell(percents: readonly number[], source: 'config' | 'runtime' = 'config'): WeightCell {
  const cell = {
    percents: [...percents],
    ranges: buildRanges(percents),
    source,
    closed: percents.map(() => false),
    pins: undefined as UnitPins | undefined,
    set(next: readonly number[], src: 'config' | 'runtime' = 'runtime', closed: readonly boolean[] = next.map(() => false)) {
      cell.percents = [...next];
      cell.ranges = buildRanges(next);
      cell.source = src;
      cell.closed = [...closed];
    },
  };
  return cell;
}
