/**
 * Diagnostics that catch a broken experiment in minutes: sample-ratio mismatch against the weights
 * live at each unit's first exposure (sequential, stats/srm.ts), assignment leaks (units seen in arms
 * the weights history does not explain, leaks.ts), and goal traffic that cannot be attributed (no sticky key, or a unit never exposed).
 */
import { srmPValue, type SrmPhase } from '../stats/srm.js';
import type { ExperimentSums } from '../storage/experiment-types.js';

/** Alarm thresholds (README "Experiments" lists them). */
export const SRM_ALPHA = 0.001;
/** No diagnostic alarms before this many units (or goal requests): tiny counts are all noise. */
export const DIAGNOSTIC_MIN_COUNT = 100;
export const LEAK_SHARE = 0.01;
export const UNATTRIBUTED_SHARE = 0.05;

/** The SRM test's result. */
export interface SrmResult {
  readonly alarm: boolean;
  readonly pValue: number;
  readonly threshold: number;
  readonly minUnits: number;
  readonly method: string;
  readonly observed: Record<string, number>;
  readonly expected: Record<string, number>;
}

/**
 * SRM over every weight phase: `weights` of each exposure row is "control%,variant%,…" in `arms` order.
 * @example srmCheck(['control', 'variant'], sums.arms).alarm
 */
export function srmCheck(arms: readonly string[], rows: ExperimentSums['arms']): SrmResult {
  const phases = new Map<string, { expected: number[]; observed: number[] }>();
  const observed: Record<string, number> = Object.fromEntries(arms.map((a) => [a, 0]));
  const expected: Record<string, number> = Object.fromEntries(arms.map((a) => [a, 0]));
  let total = 0;
  for (const r of rows) {
    const i = arms.indexOf(r.arm);
    const shares = r.weights.split(',').map(Number);
    // Rows from an older arm layout (arms added or removed since) can't be tested against these weights.
    if (i === -1 || shares.length !== arms.length || shares.some((s) => !Number.isFinite(s))) continue;
    let ph = phases.get(r.weights);
    if (!ph) {
      const sum = shares.reduce((a, b) => a + b, 0) || 1;
      phases.set(r.weights, (ph = { expected: shares.map((s) => s / sum), observed: arms.map(() => 0) }));
    }
    ph.observed[i]! += r.units;
    observed[r.arm]! += r.units;
    total += r.units;
  }
  const list: SrmPhase[] = [...phases.values()];
  for (const ph of list) {
    const n = ph.observed.reduce((a, b) => a + b, 0);
    arms.forEach((a, i) => {
      expected[a]! += n * ph.expected[i]!;
    });
  }
  const pValue = srmPValue(list);
  return {
    alarm: total >= DIAGNOSTIC_MIN_COUNT && pValue < SRM_ALPHA,
    pValue,
    threshold: SRM_ALPHA,
    minUnits: DIAGNOSTIC_MIN_COUNT,
    method: 'sequential Dirichlet-multinomial test (Lindon & Malek 2022), per weight phase',
    observed,
    expected,
  };
}

/**
 * Leaked units (seen in arms their weights don't explain, experiments/leaks.ts) as a share of all units.
 * @example leakCheck(3, 1000) // { alarm: false, units: 3, share: 0.003, threshold: 0.01 }
 */
export function leakCheck(leaked: number, units: number) {
  const share = units > 0 ? leaked / units : 0;
  return { alarm: units >= DIAGNOSTIC_MIN_COUNT && share > LEAK_SHARE, units: leaked, share, threshold: LEAK_SHARE };
}

/**
 * Goal requests that cannot be attributed to an exposed unit. With targeting (`when:`), units the
 * rules leave out reach goals too, by design: their requests are reported but not held against the
 * experiment (only requests without a key are). In a layer, keyed requests of units outside the
 * slice are not recorded at all, while keyless ones come from everyone: only `layerShare` of them
 * can belong to this experiment, so that is what is weighed.
 * @example goalTrafficCheck({ total: 200, withoutKey: 20, unexposed: 0 }).alarm // true
 */
export function goalTrafficCheck(g: ExperimentSums['goalRequests'], targeted = false, layerShare = 1) {
  const withoutKey = g.withoutKey * layerShare;
  const total = g.total - g.withoutKey + withoutKey;
  const share = total > 0 ? (withoutKey + (targeted ? 0 : g.unexposed)) / total : 0;
  return {
    alarm: g.total >= DIAGNOSTIC_MIN_COUNT && share > UNATTRIBUTED_SHARE,
    requests: g.total,
    withoutKey: g.withoutKey,
    unexposed: g.unexposed,
    /** True when unexposed requests are expected (targeting) and left out of `share`. */
    targeted,
    /** The experiment's share of its layer (1 without one): the part of keyless requests weighed. */
    layerShare,
    share,
    threshold: UNATTRIBUTED_SHARE,
  };
}
