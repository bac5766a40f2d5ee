/**
 * Judges one ramp step against the concurrent control with the repo's anytime-valid statistics, no
 * new test: the vital signs by the guardrails' conditional ratio test (the slice's real error rate
 * against tolerance × control's, ratio-test.ts) and the goal by the experiments' lift with its
 * asymptotic confidence sequence (stats/lift.ts, stats/confidence-sequence.ts). Both are valid
 * however often they are read, so judging every second does not inflate false alarms; the two
 * tests share α (Bonferroni, stats/multiplicity.ts).
 */
import { MIN_INTERVAL_UNITS } from '../experiments/analysis.js';
import { failLogE, upperBound } from '../guardrails/ratio-test.js';
import { csMultiplier, mixtureRho } from '../stats/confidence-sequence.js';
import { interval, lift } from '../stats/lift.js';
import { comparisonAlpha } from '../stats/multiplicity.js';
import type { StepEvidence } from './ramp-evidence.js';
import type { CompiledRamp } from './ramp-spec.js';

/** What a step's numbers say, stored with every decision. */
export interface StepJudgement {
  /** Harm proven on the vital signs or on the goal. */
  readonly harm: boolean;
  /** Both groups have `minUnits` units (and requests, for the vital signs): the step may pass. */
  readonly enough: boolean;
  readonly vitals: {
    slice: { requests: number; bad: number };
    control: { requests: number; bad: number };
    /** ln of the e-value against "slice error rate ≤ tolerance × control's". */
    logE: number;
    /** Anytime-valid upper bound of the error-rate ratio slice/control (null: unbounded). */
    ratioUpper: number | null;
    harm: boolean;
  } | null;
  readonly goal: {
    name: string;
    slice: { units: number; mean: number | null };
    control: { units: number; mean: number | null };
    /** Relative lift of the slice over control and its confidence sequence (null: too few units). */
    relative: number | null;
    interval: [number, number] | null;
    harm: boolean;
  } | null;
  readonly injectedFailures: number;
  readonly alpha: number;
}

/**
 * Judges `ev` under `r`.
 * @example judgeStep(ramp, evidence).harm // true once the slice converts proven less than control
 */
export function judgeStep(r: CompiledRamp, ev: StepEvidence): StepJudgement {
  const alpha = comparisonAlpha(r.alpha, (r.vitals ? 1 : 0) + (r.goal ? 1 : 0), 'bonferroni');
  const vitals = r.vitals ? judgeVitals(r, ev, alpha) : null;
  const goal = r.goal ? judgeGoal(r, ev, alpha) : null;
  const sums = ev.goalSums();
  const enough = sums.slice.units >= r.minUnits && sums.control.units >= r.minUnits;
  return {
    harm: (vitals?.harm ?? false) || (goal?.harm ?? false),
    enough,
    vitals,
    goal,
    injectedFailures: ev.injected,
    alpha,
  };
}

function judgeVitals(r: CompiledRamp, ev: StepEvidence, alpha: number): NonNullable<StepJudgement['vitals']> {
  const logE = failLogE(ev.ll, r.tolerance, 0, 0);
  const upper = upperBound(ev.ll, r.tolerance, alpha);
  return {
    slice: { ...ev.slice },
    control: { ...ev.control },
    logE,
    ratioUpper: Number.isFinite(upper) ? upper : null,
    harm: logE >= Math.log(1 / alpha),
  };
}

function judgeGoal(r: CompiledRamp, ev: StepEvidence, alpha: number): NonNullable<StepJudgement['goal']> {
  const { slice, control } = ev.goalSums();
  const l = lift(control, slice);
  const ok = slice.units >= MIN_INTERVAL_UNITS && control.units >= MIN_INTERVAL_UNITS && l !== undefined;
  // Tightest at the planned sample, like the experiments' intervals (analysis.ts).
  const k = csMultiplier(slice.units + control.units, mixtureRho(alpha, 2 * r.minUnits), alpha);
  const span = ok ? (interval(l.relative, l.relativeSe, k) ?? null) : null;
  return {
    name: r.goal!,
    slice: { units: slice.units, mean: slice.units > 0 ? slice.sum / slice.units : null },
    control: { units: control.units, mean: control.units > 0 ? control.sum / control.units : null },
    relative: l?.relative ?? null,
    interval: span,
    // Harm: even the interval's best case is a drop larger than maxDrop.
    harm: span !== null && span[1] < -r.maxDrop,
  };
}
