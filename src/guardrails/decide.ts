/**
 * One variant's automatic decision at one evaluation, in priority order:
 *   1. fail fast — the bad-event ratio test rejects "ρ ≤ tolerance" on what remains after setting
 *      aside the largest single unit's or client's observations, or the latency SLO test finds the p99
 *      credibly above its threshold AND slower than the control → onBreach (rollback / pause / alert);
 *   2. service-wide burn (engine.ts) → pause and alert, decided for every variant at once;
 *   3. pass slow — with a rollout: bake time, samples and evidence from the current step that the
 *      variant is within tolerance (or its errors truly rare) → next step or promote; past maxStep
 *      without that → hold once and keep evaluating.
 * Every branch changes state, so the same decision is never emitted twice for an unchanged state.
 */
import { formatDuration } from '../config/units.js';
import { startStep } from './engine-evidence.js';
import { assess, buildEvidence, dur, eValue, num, pct, type Assessment } from './evidence.js';
import type { BurnEvidence, Decision } from './types.js';
import { holdbackEndsAt, promotedPercent, restartsLeft, setPercent, type EngineContext, type VariantRt } from './variant.js';

/** The pass gate is read at most this often (its bound costs a few hundred exponentials). */
const PASS_CHECK_MS = 5_000;

/**
 * Decides for `v` at `now`; undefined when nothing changes.
 * @example const d = decide(ctx, v, now, burn); if (d) decisions.push(d)
 */
export function decide(ctx: EngineContext, v: VariantRt, now: number, burn: () => BurnEvidence[]): Decision | undefined {
  if (v.phase === 'rolled-back') return undefined;
  v.stepStartedAt ??= now;
  if (v.ev.since === null) startStep(v.ev, Math.max(0, v.stepIndex), restartsLeft(ctx, v), now);
  const rt = v as VariantRt & { passCheckedAt?: number; lastVersion?: number };
  if (v.breach === null && rt.lastVersion !== v.ev.version) {
    rt.lastVersion = v.ev.version;
    const a = assess(ctx, v, false);
    if (a.breaching) return breach(ctx, v, now, assess(ctx, v), burn());
  }
  if (v.phase === 'promoted' && v.breach === null) {
    const ends = holdbackEndsAt(ctx, v);
    return ends !== null && now >= ends ? releaseHoldback(ctx, v, now, burn()) : undefined;
  }
  if (!ctx.rollout || (v.phase !== 'progressing' && v.phase !== 'holding')) return undefined;
  const timeAt = now - v.stepStartedAt;
  const ready = timeAt >= ctx.rollout.minBake && v.ev.step.v.exposure >= ctx.guardrails.minSamples;
  const due = timeAt >= ctx.rollout.maxStep && v.phase === 'progressing';
  if (!due && (!ready || now - (rt.passCheckedAt ?? -Infinity) < PASS_CHECK_MS)) return undefined;
  rt.passCheckedAt = now;
  return passSlow(ctx, v, now, assess(ctx, v), burn, ready);
}

function breach(ctx: EngineContext, v: VariantRt, now: number, a: Assessment, burn: BurnEvidence[]): Decision {
  const from = v.percent;
  const rule = a.breaching!;
  v.breach = rule;
  const onBreach = ctx.guardrails.onBreach;
  let tail: string;
  if (onBreach === 'rollback') {
    v.phase = 'rolled-back';
    setPercent(v, 0);
    tail = `rolled back from ${num(from)}% to 0%`;
  } else if (onBreach === 'pause') {
    v.phase = 'paused';
    tail = `paused at ${num(from)}% (onBreach: pause)`;
  } else {
    tail = `alert only (onBreach: alert), weight stays ${num(from)}%`;
  }
  const evidence = buildEvidence(ctx, v, now, burn, a);
  return {
    at: now,
    route: ctx.route,
    arm: v.arm,
    action: onBreach,
    fromPercent: from,
    toPercent: v.percent,
    rule,
    reason: `${rule === 'sequential-ratio' ? ratioSentence(v, a) : latencySentence(v, a)}: ${tail}.`,
    severity: onBreach === 'rollback' ? 'error' : 'warn',
    evidence,
  };
}

function ratioSentence(v: VariantRt, a: Assessment): string {
  const t = a.bad;
  const e = v.ev.total;
  return (
    `${v.arm}: ${t.variantObs} bad observations in ${e.v.exposure} requests (${pct(t.pVariant)}, ${e.v.badClients} failing clients) ` +
    `vs ${t.controlObs} in ${e.c.exposure} on control (${pct(t.pControl)}), ρ̂ ${num(t.rhoHat)}; ` +
    `e-value ${eValue(t.logE)} with the largest single contributor's ${t.setAside} set aside ≥ 1/α = ${num(1 / t.alpha)} rejects ρ ≤ ${num(t.tolerance)}`
  );
}

function latencySentence(v: VariantRt, a: Assessment): string {
  const l = a.latency!;
  return (
    `${v.arm}: p99 ${l.variantP99Ms === null ? 'n/a' : `${num(l.variantP99Ms)} ms`} vs control ${l.controlP99Ms === null ? 'n/a' : `${num(l.controlP99Ms)} ms`} ` +
    `(SLO ${num(l.thresholdMs)} ms); ${pct(l.variantSlowShare)} of variant requests over it, e-value ${eValue(l.p99LogE)} ≥ ${num(Math.exp(l.logThreshold))} ` +
    `proves p99 above the SLO, and the slow ratio's e-value ${eValue(l.ratio.logE)} proves it slower than control (ρ̂ ${num(l.ratio.rhoHat)})`
  );
}

/** Step, promote, hold or nothing. */
function passSlow(
  ctx: EngineContext,
  v: VariantRt,
  now: number,
  a: Assessment,
  burn: () => BurnEvidence[],
  ready: boolean,
): Decision | undefined {
  const rollout = ctx.rollout!;
  const steps = rollout.steps;
  const timeAt = now - v.stepStartedAt!;
  if (ready && !a.breaching && a.badPasses && a.latencyPasses) {
    const from = v.percent;
    const n = v.ev.step.v.exposure;
    const evidence = buildEvidence(ctx, v, now, burn(), a);
    const next = Math.min(v.stepIndex + 1, steps.length - 1);
    const last = next === steps.length - 1;
    const to = last ? promotedPercent(ctx, v) : Math.min(steps[next]!, ctx.lane);
    if (last) v.promotedAt = now;
    v.stepIndex = next;
    v.stepStartedAt = now;
    v.phase = last ? 'promoted' : 'progressing';
    setPercent(v, to);
    startStep(v.ev, next, restartsLeft(ctx, v), now);
    const proofs = evidence.waiting
      .filter((w) => w.what === 'bad-ratio' || w.what === 'latency')
      .map((w) => w.says)
      .join('; ');
    return {
      at: now,
      route: ctx.route,
      arm: v.arm,
      action: last ? 'promote' : 'step',
      fromPercent: from,
      toPercent: to,
      rule: 'pass-step',
      reason: `${dur(timeAt)} at ${num(from)}% (minBake ${dur(rollout.minBake)}) with ${n} variant requests this step (minSamples ${ctx.guardrails.minSamples}); from this step's evidence alone: ${proofs}: ${last ? `promoting to ${num(to)}%${holdbackNote(ctx, v)}` : `stepping ${num(from)}% → ${num(to)}%`}.`,
      severity: 'info',
      evidence,
    };
  }
  if (v.phase !== 'progressing' || timeAt < rollout.maxStep) return undefined;
  v.phase = 'holding';
  const evidence = buildEvidence(ctx, v, now, burn(), a);
  const why = evidence.waiting
    .filter((w) => !w.done)
    .map((w) => w.says)
    .join('; ');
  return {
    at: now,
    route: ctx.route,
    arm: v.arm,
    action: 'hold',
    fromPercent: v.percent,
    toPercent: v.percent,
    rule: 'max-step-inconclusive',
    reason: `${dur(timeAt)} at ${num(v.percent)}% (maxStep ${dur(rollout.maxStep)}) without a verdict: ${why}; holding at ${num(v.percent)}% and still evaluating.`,
    severity: 'warn',
    evidence,
  };
}

/** ", holding back 5% of units on control for 14d" after a promotion with a holdback, else ''. */
export function holdbackNote(ctx: EngineContext, v: VariantRt): string {
  if (v.holdbackReleasedAt !== null || ctx.holdback <= 0) return '';
  return `, holding back ${num(ctx.holdback)}% of units on control ${ctx.holdbackMs === null ? 'until an operator promotes again' : `for ${formatDuration(ctx.holdbackMs)}`}`;
}

/** The holdback period ended: its units join the promoted variant (control → variant only). */
function releaseHoldback(ctx: EngineContext, v: VariantRt, now: number, burn: BurnEvidence[]): Decision {
  const from = v.percent;
  v.holdbackReleasedAt = now;
  setPercent(v, promotedPercent(ctx, v));
  return {
    at: now,
    route: ctx.route,
    arm: v.arm,
    action: 'release',
    fromPercent: from,
    toPercent: v.percent,
    rule: 'holdback-elapsed',
    reason: `the holdback of ${num(ctx.holdback)}% ran its ${formatDuration(ctx.holdbackMs ?? 0)} since promotion${v.promotedAt === null ? '' : ` (${new Date(v.promotedAt).toISOString()})`}: released, ${v.arm} ${num(from)}% → ${num(v.percent)}%.`,
    severity: 'info',
    evidence: buildEvidence(ctx, v, now, burn),
  };
}
