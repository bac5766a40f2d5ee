/**
 * The engine's shared context (config compiled once) and one variant's live state: its place in the
 * rollout plus its evidence, with the conversions to and from the persisted form.
 */
import type { RawGuardrails, RawRollout } from '../config/schema.js';
import type { BurnRule } from './burn.js';
import { freshEvidence, restoreEvidence, snapshotEvidence, startStep, type EvidenceRt } from './engine-evidence.js';
import type { Phase, VariantState } from './types.js';
import type { ArmWindows } from './windows.js';

export const CONTROL = 'control';

/** Precomputed per route at engine creation. */
export interface EngineContext {
  readonly route: string;
  readonly guardrails: RawGuardrails;
  readonly rollout: RawRollout | undefined;
  readonly variants: readonly string[];
  readonly splitPercent: Readonly<Record<string, number>>;
  /** 100 / number of variants: the most a variant can get (nested ranges, routing/assign.ts). */
  readonly lane: number;
  /** rollout.holdback in percent of all units (0: none), and rollout.holdbackFor in ms (null: until released by hand). */
  readonly holdback: number;
  readonly holdbackMs: number | null;
  readonly tolerance: number;
  /** α per test: α / variants, halved again between errors and latency when there is a latency SLO. */
  readonly alpha: number;
  readonly logThreshold: number;
  /** 1 − availability, and the "errors are truly rare" line of the pass gate's fallback (budget / 10). */
  readonly budget: number;
  readonly rareBelow: number;
  /** Latency SLO threshold in ms, or null. */
  readonly slowMs: number | null;
  readonly rules: readonly BurnRule[];
  /** ln of the burn detector's threshold (mean time to a false pause ≥ that many seconds). */
  readonly detectorLogThreshold: number;
  readonly windows: Map<string, ArmWindows>;
  /** Restarts of the fail-fast tests per evidence: one per rollout step, 1 without a rollout. */
  readonly maxRestarts: number;
}

/** One variant at run time. */
export interface VariantRt {
  readonly arm: string;
  phase: Phase;
  stepIndex: number;
  stepStartedAt: number | null;
  percent: number;
  /** The rule acted on; sticky until resume or reset. */
  breach: string | null;
  /** When it was promoted (the holdback's clock), and when its holdback was released. */
  promotedAt: number | null;
  holdbackReleasedAt: number | null;
  ev: EvidenceRt;
}

/**
 * Where a variant starts (and returns to on reset): step 0 of the rollout, or its configured split.
 * @example initialPlace(ctx, 'v2') // { phase: 'progressing', stepIndex: 0, percent: 1 }
 */
export function initialPlace(ctx: EngineContext, arm: string): { phase: Phase; stepIndex: number; percent: number } {
  if (ctx.rollout) {
    const steps = ctx.rollout.steps;
    if (steps.length === 1) return { phase: 'promoted', stepIndex: 0, percent: promotedPercent(ctx) };
    return { phase: 'progressing', stepIndex: 0, percent: Math.min(steps[0]!, ctx.lane) };
  }
  return { phase: 'idle', stepIndex: -1, percent: Math.min(ctx.splitPercent[arm] ?? 0, ctx.lane) };
}

/**
 * The promoted weight: the last step, or the whole lane without a rollout — less the variant's share
 * of the holdback until it is released. The holdback units are the top of each lane, buckets no step
 * ever reached (the schema keeps every earlier step below this cap), so they are the same units that
 * were control all along, and releasing them only moves them into the variant.
 * @example promotedPercent(ctx) // 100 with steps [1, 5, 25, 50, 100]; 95 with holdback: 5% until released
 */
export function promotedPercent(ctx: EngineContext, v?: Pick<VariantRt, 'holdbackReleasedAt'>): number {
  const full = ctx.rollout ? Math.min(ctx.rollout.steps.at(-1)!, ctx.lane) : ctx.lane;
  if (!holdbackActive(ctx, v)) return full;
  return Math.min(full, ctx.lane - ctx.holdback / Math.max(1, ctx.variants.length));
}

/**
 * True while the holdback keeps its units on control: configured and not yet released.
 * @example holdbackActive(ctx, v) // false once the holdback period ended
 */
export function holdbackActive(ctx: EngineContext, v?: Pick<VariantRt, 'holdbackReleasedAt'>): boolean {
  return ctx.holdback > 0 && (v?.holdbackReleasedAt ?? null) === null;
}

/**
 * When the promoted variant's holdback ends, or null (none, released, or held until an operator releases it).
 * @example holdbackEndsAt(ctx, v) // promotedAt + 14 d
 */
export function holdbackEndsAt(ctx: EngineContext, v: VariantRt): number | null {
  if (v.phase !== 'promoted' || !holdbackActive(ctx, v) || ctx.holdbackMs === null) return null;
  const since = v.promotedAt ?? v.stepStartedAt;
  return since === null ? null : since + ctx.holdbackMs;
}

/**
 * A variant at its initial place, or restored from `saved` (clamped to the current config by the engine).
 * @example const v = createVariant(ctx, 'v2', saved.variants.find((s) => s.arm === 'v2'))
 */
export function createVariant(ctx: EngineContext, arm: string, saved?: VariantState): VariantRt {
  const testSlow = ctx.slowMs !== null;
  if (!saved)
    return {
      arm,
      ...initialPlace(ctx, arm),
      stepStartedAt: null,
      breach: null,
      promotedAt: null,
      holdbackReleasedAt: null,
      ev: freshEvidence(testSlow),
    };
  return {
    arm,
    phase: saved.phase,
    stepIndex: saved.stepIndex,
    stepStartedAt: saved.stepStartedAt,
    percent: Math.min(saved.percent, ctx.lane),
    breach: saved.breach,
    promotedAt: saved.promotedAt ?? null,
    holdbackReleasedAt: saved.holdbackReleasedAt ?? null,
    ev: restoreEvidence(saved.evidence, testSlow),
  };
}

/**
 * Fresh evidence from `now` at the variant's current step (reset, an acknowledged breach, a resume
 * after rollback): the data that condemned it cannot condemn it again, nor excuse it.
 * @example restartEvidence(ctx, v, now)
 */
export function restartEvidence(ctx: EngineContext, v: VariantRt, now: number): void {
  v.ev = freshEvidence(ctx.slowMs !== null);
  startStep(v.ev, v.stepIndex, restartsLeft(ctx, v), now);
  v.breach = null;
}

/** Restarts an evidence begun at `v`'s current step can still need (one per remaining step). */
export function restartsLeft(ctx: EngineContext, v: VariantRt): number {
  return ctx.rollout ? Math.max(1, ctx.rollout.steps.length - Math.max(0, v.stepIndex)) : 1;
}

/**
 * Sets a variant's weight.
 * @example setPercent(v, 0) // rollback
 */
export function setPercent(v: VariantRt, percent: number): void {
  v.percent = percent;
}

/**
 * The persisted form.
 * @example JSON.stringify(snapshotVariant(v))
 */
export function snapshotVariant(v: VariantRt): VariantState {
  return {
    arm: v.arm,
    phase: v.phase,
    stepIndex: v.stepIndex,
    stepStartedAt: v.stepStartedAt,
    percent: v.percent,
    breach: v.breach,
    promotedAt: v.promotedAt,
    holdbackReleasedAt: v.holdbackReleasedAt,
    evidence: snapshotEvidence(v.ev),
  };
}
