/**
 * The engine's shared context (config compiled once) and one variant's live state: its place in the
 * rollout plus the evidence accumulators, with the conversions to and from the persisted form.
 */
import type { RawGuardrails, RawRollout } from '../config/schema.js';
import type { BurnRule } from './burn.js';
import { createSequential, type Sequential } from './sequential.js';
import type { ArmCounts, Phase, VariantState } from './types.js';
import type { ArmWindows } from './windows.js';

export const CONTROL = 'control';

/**
 * Distinct keys that must have had a bad (or slow) event on the variant before any breach acts, so one client
 * (a bot, a broken app build retrying) cannot roll a variant back alone, whatever the per-minute cap.
 * Only ever delays a rejection, so the test's false-alarm bound still holds.
 */
export const MIN_BAD_KEYS = 2;

/** Precomputed per route at engine creation. */
export interface EngineContext {
  readonly route: string;
  readonly guardrails: RawGuardrails;
  readonly rollout: RawRollout | undefined;
  readonly variants: readonly string[];
  readonly splitPercent: Readonly<Record<string, number>>;
  /** 100 / number of variants: the most a variant can get (nested ranges, routing/assign.ts). */
  readonly lane: number;
  readonly tolerance: number;
  /** α per test after Bonferroni over variants × metrics, and ln(1/α). */
  readonly alpha: number;
  readonly logThreshold: number;
  /** 1 − availability, and the slow-event budget of a p99 SLO (1 %). */
  readonly budget: number;
  readonly slowBudget: number;
  /** Whether slow events are tested (the route has a latency SLO). */
  readonly testSlow: boolean;
  readonly rules: readonly BurnRule[];
  readonly windows: Map<string, ArmWindows>;
  /** Last routing share per arm (events, or our own decisions). */
  readonly shares: Record<string, number>;
}

/** One variant at run time: VariantState with live e-processes instead of arrays. */
export interface VariantRt {
  readonly arm: string;
  phase: Phase;
  stepIndex: number;
  stepStartedAt: number | null;
  percent: number;
  breach: string | null;
  firing: string[];
  since: number | null;
  variant: ArmCounts;
  control: ArmCounts;
  bad: Sequential;
  slow: Sequential | null;
  /** First distinct hashes of keys with a bad or slow event (≤ MIN_BAD_KEYS); bucketed events count as distinct. */
  badKeys: number[];
  /** Fail-fast ln e-value per test, recomputed only when the e-process changed. */
  failCache: { version: number; logE: number }[];
}

/**
 * Where a variant starts (and returns to on reset): step 0 of the rollout, or its configured split.
 * @example initialPlace(ctx, 'v2') // { phase: 'progressing', stepIndex: 0, percent: 1 }
 */
export function initialPlace(ctx: EngineContext, arm: string): { phase: Phase; stepIndex: number; percent: number } {
  if (ctx.rollout) {
    const steps = ctx.rollout.steps;
    return { phase: steps.length === 1 ? 'promoted' : 'progressing', stepIndex: 0, percent: Math.min(steps[0]!, ctx.lane) };
  }
  return { phase: 'idle', stepIndex: -1, percent: Math.min(ctx.splitPercent[arm] ?? 0, ctx.lane) };
}

/**
 * The promoted weight: the last step, or the whole lane without a rollout.
 * @example promotedPercent(ctx) // 100 with steps [1, 5, 25, 50, 100]
 */
export function promotedPercent(ctx: EngineContext): number {
  return ctx.rollout ? Math.min(ctx.rollout.steps.at(-1)!, ctx.lane) : ctx.lane;
}

const zero = (): ArmCounts => ({ requests: 0, bad: 0, slow: 0, capped: 0 });

/**
 * A variant at its initial place, or restored from `saved` (clamped to the current config).
 * @example const v = createVariant(ctx, 'v2', saved.variants.find((s) => s.arm === 'v2'))
 */
export function createVariant(ctx: EngineContext, arm: string, saved?: VariantState): VariantRt {
  const init = initialPlace(ctx, arm);
  const v: VariantRt = {
    arm,
    ...init,
    stepStartedAt: null,
    breach: null,
    firing: [],
    since: null,
    variant: zero(),
    control: zero(),
    bad: createSequential(ctx.tolerance),
    slow: ctx.testSlow ? createSequential(ctx.tolerance) : null,
    badKeys: [],
    failCache: [],
  };
  if (!saved) return v;
  const e = saved.evidence;
  Object.assign(v, {
    phase: saved.phase,
    stepIndex: saved.stepIndex,
    stepStartedAt: saved.stepStartedAt,
    percent: Math.min(saved.percent, ctx.lane),
    breach: saved.breach,
    firing: [...saved.firing],
    since: e.since,
    variant: { ...e.variant },
    control: { ...e.control },
    bad: createSequential(ctx.tolerance, e.bad),
    slow: ctx.testSlow ? createSequential(ctx.tolerance, e.slow) : null,
    badKeys: [...(e.badKeys ?? [])],
  });
  reconcile(ctx, v);
  return v;
}

/** A config reload may have added or removed the rollout, or shortened its steps. */
function reconcile(ctx: EngineContext, v: VariantRt): void {
  if (v.phase === 'rolled-back') return;
  if (ctx.rollout && v.stepIndex < 0) {
    Object.assign(v, initialPlace(ctx, v.arm), { stepStartedAt: null });
  } else if (ctx.rollout && v.stepIndex >= ctx.rollout.steps.length) {
    v.stepIndex = ctx.rollout.steps.length - 1;
    if (v.phase !== 'paused') v.phase = 'promoted';
    if (v.phase === 'promoted') v.percent = promotedPercent(ctx);
  } else if (!ctx.rollout && v.stepIndex >= 0) {
    const init = initialPlace(ctx, v.arm);
    v.stepIndex = -1;
    if (v.phase !== 'paused') Object.assign(v, init);
  }
}

/**
 * Fresh evidence and empty variant windows (reset, or resuming after a rollback).
 * @example restartEvidence(ctx, v, now)
 */
export function restartEvidence(ctx: EngineContext, v: VariantRt, now: number): void {
  v.since = now;
  v.variant = zero();
  v.control = zero();
  v.bad = createSequential(ctx.tolerance);
  v.slow = ctx.testSlow ? createSequential(ctx.tolerance) : null;
  v.badKeys = [];
  v.failCache = [];
  v.breach = null;
  v.firing = [];
  ctx.windows.get(v.arm)?.clear();
}

/**
 * Acknowledges a breach: the fail-fast tests restart from now, the bound keeps all evidence.
 * @example acknowledge(v) // on a manual resume
 */
export function acknowledge(v: VariantRt): void {
  v.bad.rebase();
  v.slow?.rebase();
  v.breach = null;
}

/**
 * Sets a variant's weight and the shares the next events will be compared with.
 * @example setPercent(ctx, variants, v, 0) // rollback
 */
export function setPercent(ctx: EngineContext, vs: readonly VariantRt[], v: VariantRt, percent: number): void {
  v.percent = percent;
  ctx.shares[v.arm] = percent / 100;
  ctx.shares[CONTROL] = Math.max(0, 1 - vs.reduce((sum, u) => sum + u.percent, 0) / 100);
}

/**
 * Notes the key hash of a bad or slow variant event; `undefined` (bucketed, key unknown) counts as a new key.
 * @example noteBadKey(v, keyHash(ev.key))
 */
export function noteBadKey(v: VariantRt, hash: number | undefined): void {
  if (v.badKeys.length >= MIN_BAD_KEYS) return;
  if (hash === undefined) v.badKeys.push(-1 - v.badKeys.length);
  else if (!v.badKeys.includes(hash)) v.badKeys.push(hash);
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
    firing: [...v.firing],
    evidence: {
      since: v.since,
      variant: { ...v.variant },
      control: { ...v.control },
      bad: v.bad.snapshot(),
      slow: v.slow ? v.slow.snapshot() : null,
      badKeys: [...v.badKeys],
    },
  };
}
