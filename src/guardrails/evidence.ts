/**
 * The numbers behind a decision: per-arm counts, the sequential tests (e-value, bound, budget proof)
 * and the burn-rate readings, plus the small formatters the decision sentences share. Computed only
 * when a decision is made or someone asks (`engine.inspect`), never per request.
 */
import { burnEvidence } from './burn.js';
import { rateBelowLogE, type Sequential } from './sequential.js';
import type { BurnEvidence, Evidence, TestEvidence } from './types.js';
import { CONTROL, MIN_BAD_KEYS, type EngineContext, type VariantRt } from './variant.js';

/**
 * Burn-rate readings of every rule for `v` against the control, at the windows' current second.
 * @example burnReadings(ctx, v).some((b) => b.firing)
 */
export function burnReadings(ctx: EngineContext, v: VariantRt): BurnEvidence[] {
  const vw = ctx.windows.get(v.arm)!;
  const cw = ctx.windows.get(CONTROL)!;
  return ctx.rules.map((rule) => {
    const long = Math.round(rule.longMs / 1000);
    const short = Math.round(rule.shortMs / 1000);
    return burnEvidence(
      rule,
      ctx.budget,
      ctx.tolerance,
      { long: vw.totals(long), short: vw.totals(short) },
      { long: cw.totals(long), short: cw.totals(short) },
    );
  });
}

/**
 * The variant's tests, bad events first (slow events only with a latency SLO).
 * @example for (const { metric, seq } of testsOf(v)) seq.failLogE()
 */
export function testsOf(v: VariantRt): { metric: 'bad' | 'slow'; seq: Sequential }[] {
  return v.slow
    ? [
        { metric: 'bad', seq: v.bad },
        { metric: 'slow', seq: v.slow },
      ]
    : [{ metric: 'bad', seq: v.bad }];
}

/**
 * Whether `metric` lets the step pass: "ρ < tolerance" proven, or — when bad events are too rare for a
 * ratio — the variant's own rate proven below its budget with no estimate above the tolerance.
 * @example testsOf(v).every((t) => metricPasses(ctx, v, t.metric, t.seq))
 */
export function metricPasses(ctx: EngineContext, v: VariantRt, metric: 'bad' | 'slow', seq: Sequential): boolean {
  // The single test at ρ = tolerance is the cheap necessary condition; the bound confirms it.
  if (seq.passLogE() >= ctx.logThreshold && seq.upperBound(ctx.alpha) <= ctx.tolerance) return true;
  return budgetProven(ctx, v, metric);
}

/** Per-request rates of `metric` on both arms since the evidence started, and their ratio. */
function rates(
  v: VariantRt,
  metric: 'bad' | 'slow',
): { vn: number; pVariant: number | null; pControl: number | null; rhoHat: number | null } {
  const bad = metric === 'bad';
  const vn = v.variant.requests - (bad ? v.variant.capped : 0);
  const cn = v.control.requests - (bad ? v.control.capped : 0);
  const pVariant = vn > 0 ? (bad ? v.variant.bad : v.variant.slow) / vn : null;
  const pControl = cn > 0 ? (bad ? v.control.bad : v.control.slow) / cn : null;
  return { vn, pVariant, pControl, rhoHat: pVariant !== null && pControl !== null && pControl > 0 ? pVariant / pControl : null };
}

function budgetProven(ctx: EngineContext, v: VariantRt, metric: 'bad' | 'slow'): boolean {
  const r = rates(v, metric);
  if (r.rhoHat !== null && r.rhoHat > ctx.tolerance) return false;
  const budget = metric === 'bad' ? ctx.budget : ctx.slowBudget;
  return rateBelowLogE(budget, r.vn, metric === 'bad' ? v.variant.bad : v.variant.slow) >= ctx.logThreshold;
}

/**
 * One test's evidence.
 * @example testEvidence(ctx, v, 'bad', v.bad).rhoUpper
 */
export function testEvidence(ctx: EngineContext, v: VariantRt, metric: 'bad' | 'slow', seq: Sequential): TestEvidence {
  const { pVariant, pControl, rhoHat } = rates(v, metric);
  const logE = seq.failLogE();
  const upper = seq.upperBound(ctx.alpha);
  const proven = budgetProven(ctx, v, metric);
  return {
    metric,
    variantEvents: seq.variantEvents,
    controlEvents: seq.controlEvents,
    pVariant,
    pControl,
    rhoHat,
    logE,
    eValue: Math.exp(Math.min(logE, 700)),
    threshold: 1 / ctx.alpha,
    alpha: ctx.alpha,
    rhoUpper: Number.isFinite(upper) ? upper : null,
    budget: metric === 'bad' ? ctx.budget : ctx.slowBudget,
    budgetProven: proven,
    passes: upper <= ctx.tolerance || proven,
  };
}

/**
 * Everything about `v` at `now`.
 * @example buildEvidence(ctx, v, Date.now()).tests[0].eValue
 */
export function buildEvidence(ctx: EngineContext, v: VariantRt, now: number, burn = burnReadings(ctx, v)): Evidence {
  return {
    variant: { ...v.variant },
    control: { ...v.control },
    tolerance: ctx.tolerance,
    tests: testsOf(v).map((t) => testEvidence(ctx, v, t.metric, t.seq)),
    burn,
    phase: v.phase,
    percent: v.percent,
    stepIndex: v.stepIndex,
    steps: ctx.rollout ? [...ctx.rollout.steps] : null,
    timeAtStepMs: v.stepStartedAt === null ? 0 : Math.max(0, now - v.stepStartedAt),
    minBakeMs: ctx.rollout?.minBake ?? null,
    maxStepMs: ctx.rollout?.maxStep ?? null,
    minSamples: ctx.guardrails.minSamples,
    since: v.since,
    badKeys: v.badKeys.length,
    minBadKeys: MIN_BAD_KEYS,
  };
}

/** 3 significant digits, exponent for huge values. @example num(1234.5) // "1230" */
export function num(x: number | null): string {
  if (x === null || !Number.isFinite(x)) return '∞';
  if (Math.abs(x) >= 1e6) return x.toExponential(1);
  return String(+x.toPrecision(3));
}

/** A ratio as a percent. @example pct(0.0049) // "0.49%" */
export function pct(x: number | null): string {
  return x === null ? 'n/a' : `${num(x * 100)}%`;
}

/** A duration for humans. @example dur(125_000) // "2m 5s" */
export function dur(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s}s`;
  const m = Math.floor(s / 60);
  if (m < 60) return s % 60 ? `${m}m ${s % 60}s` : `${m}m`;
  return m % 60 ? `${Math.floor(m / 60)}h ${m % 60}m` : `${Math.floor(m / 60)}h`;
}
