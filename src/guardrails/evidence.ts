/**
 * The numbers behind a decision, computed from a variant's evidence: the ratio tests, the latency
 * SLO test, the pass gate with what it waits for, and the small formatters decision sentences share.
 * Computed once per evaluation per variant, and when someone asks (`engine.inspect`).
 */
import { LATENCY_BOUNDS, quantile } from '../stats/histogram.js';
import { failMixtureLogE, P99_SHARE, p99MixtureLogE, setAsideFloor, setAsideOf, type EvidenceRt } from './engine-evidence.js';
import { upperBound } from './ratio-test.js';
import { rateBelowLogE } from './rate-test.js';
import type { BurnEvidence, Evidence, LatencyEvidence, RatioEvidence, WaitItem } from './types.js';
import type { EngineContext, VariantRt } from './variant.js';

/** What the tests say about one variant now. */
export interface Assessment {
  bad: RatioEvidence;
  latency: LatencyEvidence | null;
  rareProven: boolean;
  /** The rule that rejects now (sequential-ratio before latency-p99), or null. */
  breaching: string | null;
  /** Whether each metric lets the current step pass. */
  badPasses: boolean;
  latencyPasses: boolean;
}

function ratio(ctx: EngineContext, e: EvidenceRt, metric: 'bad' | 'slow', withBound: boolean): RatioEvidence {
  const bad = metric === 'bad';
  const v = e.total.v;
  const c = e.total.c;
  const vo = bad ? v.badObs : v.slowObs;
  const co = bad ? c.badObs : c.slowObs;
  const pVariant = v.exposure > 0 ? vo / v.exposure : null;
  const pControl = c.exposure > 0 ? co / c.exposure : null;
  const floor = setAsideFloor(ctx.alpha);
  const logE = failMixtureLogE(e, metric, ctx.tolerance, floor);
  const upper = withBound ? upperBound(bad ? e.passBad : e.passSlow!, ctx.tolerance, ctx.alpha) : Infinity;
  return {
    metric,
    variantObs: vo,
    controlObs: co,
    pVariant,
    pControl,
    rhoHat: pVariant !== null && pControl !== null && pControl > 0 ? pVariant / pControl : null,
    tolerance: ctx.tolerance,
    logE,
    logEAll: withBound ? failMixtureLogE(e, metric, ctx.tolerance, null) : logE,
    setAside: setAsideOf(e, metric, floor),
    logThreshold: ctx.logThreshold,
    alpha: ctx.alpha,
    rejects: logE >= ctx.logThreshold,
    stepUpper: Number.isFinite(upper) ? upper : null,
  };
}

/**
 * Runs every test for `v`; without `withBound` the step's upper bounds (the costly part) are left
 * unbounded, which is enough to look for a breach.
 * @example assess(ctx, v).breaching // 'sequential-ratio' | 'latency-p99' | null
 */
export function assess(ctx: EngineContext, v: VariantRt, withBound = true): Assessment {
  const e = v.ev;
  const bad = ratio(ctx, e, 'bad', withBound);
  const sv = e.step.v;
  const rareProven = withBound && rateBelowLogE(ctx.rareBelow, sv.requests, sv.bad) >= ctx.logThreshold;
  let latency: LatencyEvidence | null = null;
  if (ctx.slowMs !== null && e.passSlow) {
    const slowRatio = ratio(ctx, e, 'slow', withBound);
    const p99LogE = p99MixtureLogE(e);
    const p99Above = p99LogE >= ctx.logThreshold;
    latency = {
      thresholdMs: ctx.slowMs,
      variantP99Ms: quantile(e.stepLatency.v, LATENCY_BOUNDS, 0.99) ?? null,
      controlP99Ms: quantile(e.stepLatency.c, LATENCY_BOUNDS, 0.99) ?? null,
      variantSlowShare: e.total.v.exposure > 0 ? e.total.v.slowObs / e.total.v.exposure : null,
      p99LogE,
      logThreshold: ctx.logThreshold,
      p99Above,
      ratio: slowRatio,
      rejects: p99Above && slowRatio.rejects,
      p99ProvenBelow: withBound && rateBelowLogE(P99_SHARE, sv.requests, sv.slow) >= ctx.logThreshold,
    };
  }
  const breaching = bad.rejects ? 'sequential-ratio' : latency?.rejects ? 'latency-p99' : null;
  return {
    bad,
    latency,
    rareProven,
    breaching,
    badPasses: (bad.stepUpper !== null && bad.stepUpper <= ctx.tolerance) || rareProven,
    latencyPasses:
      latency === null || latency.p99ProvenBelow || (latency.ratio.stepUpper !== null && latency.ratio.stepUpper <= ctx.tolerance),
  };
}

/**
 * What the current step waits for, each with its numbers.
 * @example waiting(ctx, v, a, now).filter((w) => !w.done).map((w) => w.says)
 */
export function waiting(ctx: EngineContext, v: VariantRt, a: Assessment, now: number): WaitItem[] {
  const items: WaitItem[] = [];
  if (v.phase === 'rolled-back' || v.phase === 'promoted') return items;
  if (a.breaching) items.push({ what: 'breach', have: null, need: null, done: false, says: `evidence breaches (${a.breaching})` });
  if (v.phase === 'paused')
    items.push({ what: 'paused', have: null, need: null, done: false, says: 'paused: waits for `fieldlab resume`' });
  const r = ctx.rollout;
  if (r) {
    const at = v.stepStartedAt === null ? 0 : Math.max(0, now - v.stepStartedAt);
    items.push({ what: 'bake', have: at, need: r.minBake, done: at >= r.minBake, says: `bake ${dur(at)} of ${dur(r.minBake)}` });
  }
  const n = v.ev.step.v.exposure;
  const need = ctx.guardrails.minSamples;
  items.push({ what: 'samples', have: n, need, done: n >= need, says: `${n} of ${need} variant requests this step` });
  const ub = a.bad.stepUpper;
  items.push({
    what: 'bad-ratio',
    have: ub,
    need: ctx.tolerance,
    done: a.badPasses,
    says: a.badPasses
      ? a.rareProven && !(ub !== null && ub <= ctx.tolerance)
        ? `errors proven rare: variant rate below ${pct(ctx.rareBelow)} (a tenth of the budget)`
        : `bad-event ratio < ${num(ub)} with ${num((1 - ctx.alpha) * 100)}% confidence (tolerance ${num(ctx.tolerance)})`
      : `bad-event ratio bound ${ub === null ? '∞ (too few errors yet)' : num(ub)} must reach ≤ ${num(ctx.tolerance)}, or the variant's error rate proven below ${pct(ctx.rareBelow)}`,
  });
  if (a.latency) {
    const l = a.latency;
    items.push({
      what: 'latency',
      have: l.variantP99Ms,
      need: l.thresholdMs,
      done: a.latencyPasses,
      says: a.latencyPasses
        ? `p99 proven ≤ ${num(l.thresholdMs)} ms (or no slower than control within tolerance)`
        : `p99 ${l.variantP99Ms === null ? 'n/a' : `${num(l.variantP99Ms)} ms`} not yet proven ≤ ${num(l.thresholdMs)} ms`,
    });
  }
  return items;
}

/**
 * Everything about `v` at `now`.
 * @example buildEvidence(ctx, v, Date.now(), burn).bad.logE
 */
export function buildEvidence(ctx: EngineContext, v: VariantRt, now: number, burn: BurnEvidence[], a = assess(ctx, v)): Evidence {
  const e = v.ev;
  const verdict = a.breaching ? 'breaching' : a.badPasses && a.latencyPasses ? 'within-tolerance' : 'insufficient-evidence';
  return {
    verdict,
    phase: v.phase,
    percent: v.percent,
    stepIndex: v.stepIndex,
    steps: ctx.rollout ? [...ctx.rollout.steps] : null,
    timeAtStepMs: v.stepStartedAt === null ? 0 : Math.max(0, now - v.stepStartedAt),
    minBakeMs: ctx.rollout?.minBake ?? null,
    maxStepMs: ctx.rollout?.maxStep ?? null,
    minSamples: ctx.guardrails.minSamples,
    since: e.since,
    stepSince: e.stepSince,
    variant: { ...e.total.v },
    control: { ...e.total.c },
    stepVariant: { ...e.step.v },
    stepControl: { ...e.step.c },
    bad: a.bad,
    rareBelow: ctx.rareBelow,
    rareProven: a.rareProven,
    latency: a.latency,
    burn,
    waiting: waiting(ctx, v, a, now),
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

/** e^x for display, 3 significant digits. @example eValue(Math.log(250)) // "250" */
export function eValue(logE: number): string {
  return logE > 700 ? '>1e300' : num(Math.exp(logE));
}
