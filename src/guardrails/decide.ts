/**
 * One variant's automatic decision at one evaluation, in priority order:
 *   1. fail fast — a sequential test rejects "ρ ≤ tolerance" → onBreach (rollback / pause / alert);
 *   2. burn rate — a variant-scoped rule starts firing → onBreach, or pause + alert when the control
 *      burns as much (the service is failing, not the variant);
 *   3. pass slow — with a rollout: bake time, samples and "ρ < tolerance" all proven → next step or
 *      promote; past maxStep without that → hold once and keep evaluating.
 * No data moves nothing but the step clock, so zero traffic ends in the maxStep hold, never a verdict.
 * Every branch changes state, so the same decision is never emitted twice for an unchanged state: one
 * breach per variant until a human resumes or resets it, burn rules on their rising edge only.
 */
import { buildEvidence, burnReadings, dur, metricPasses, num, pct, testsOf } from './evidence.js';
import type { BurnEvidence, Decision } from './types.js';
import { MIN_BAD_KEYS, promotedPercent, setPercent, type EngineContext, type VariantRt } from './variant.js';

/**
 * Decides for `v` at `now`; undefined when nothing changes.
 * @example const d = decide(ctx, variants, v, now); if (d) decisions.push(d)
 */
export function decide(ctx: EngineContext, all: readonly VariantRt[], v: VariantRt, now: number): Decision | undefined {
  if (v.phase === 'rolled-back') return undefined;
  v.stepStartedAt ??= now;
  v.since ??= now;
  const burn = burnReadings(ctx, v);

  // Below MIN_BAD_KEYS distinct keys no breach acts yet; it is re-checked every second, not lost.
  const keysOk = v.badKeys.length >= MIN_BAD_KEYS;
  // A gated rule is left out of `firing` so its rising edge comes again once enough keys failed.
  const acts = (b: BurnEvidence) => b.firing && (keysOk || b.shared);
  const firing = burn.filter(acts).map((b) => b.rule);
  const rising = burn.find((b) => acts(b) && !v.firing.includes(b.rule));
  v.firing = firing;

  if (v.breach === null && keysOk) {
    const tests = testsOf(v);
    for (let i = 0; i < tests.length; i++) {
      const { metric, seq } = tests[i]!;
      const cache = (v.failCache[i] ??= { version: -1, logE: 0 });
      if (cache.version !== seq.version) cache.logE = seq.failLogE();
      cache.version = seq.version;
      if (cache.logE < ctx.logThreshold) continue;
      const rule = metric === 'bad' ? 'sequential-ratio' : 'sequential-ratio-slow';
      v.breach = rule;
      return breach(ctx, all, v, now, rule, burn, (ev) => {
        const t = ev.tests[i]!;
        const bad = metric === 'bad';
        const [vn, cn] = bad
          ? [ev.variant.requests - ev.variant.capped, ev.control.requests - ev.control.capped]
          : [ev.variant.requests, ev.control.requests];
        const [vk, ck] = bad ? [ev.variant.bad, ev.control.bad] : [ev.variant.slow, ev.control.slow];
        return `${v.arm}: ${vk} of ${vn} requests ${bad ? 'bad' : 'slow'} (${pct(t.pVariant)}) vs ${ck} of ${cn} on control (${pct(t.pControl)}), ρ̂ ${num(t.rhoHat)}; e-value ${num(t.eValue)} ≥ 1/α = ${num(t.threshold)} rejects ρ ≤ ${num(ctx.tolerance)}`;
      });
    }
  }

  if (rising?.shared) {
    const d = shared(ctx, v, now, rising, burn);
    if (d) return d;
  } else if (rising && v.breach === null) {
    v.breach = rising.rule;
    return breach(ctx, all, v, now, rising.rule, burn, () => burnSentence(v, rising));
  }

  if (ctx.rollout && (v.phase === 'progressing' || v.phase === 'holding')) return passSlow(ctx, all, v, now, burn);
  return undefined;
}

/** Applies onBreach; `says` gives the sentence's first half from the evidence. */
function breach(
  ctx: EngineContext,
  all: readonly VariantRt[],
  v: VariantRt,
  now: number,
  rule: string,
  burn: BurnEvidence[],
  says: (ev: Decision['evidence']) => string,
): Decision {
  const from = v.percent;
  const onBreach = ctx.guardrails.onBreach;
  let tail: string;
  if (onBreach === 'rollback') {
    v.phase = 'rolled-back';
    setPercent(ctx, all, v, 0);
    tail = `rolled back from ${num(from)}% to 0%`;
  } else if (onBreach === 'pause') {
    v.phase = 'paused';
    tail = `paused at ${num(from)}% (onBreach: pause)`;
  } else {
    tail = `alert only (onBreach: alert), weight stays ${num(from)}%`;
  }
  const evidence = buildEvidence(ctx, v, now, burn);
  return {
    at: now,
    route: ctx.route,
    arm: v.arm,
    action: onBreach,
    fromPercent: from,
    toPercent: v.percent,
    rule,
    reason: `${says(evidence)}: ${tail}.`,
    severity: onBreach === 'rollback' ? 'error' : 'warn',
    evidence,
  };
}

function burnSentence(v: VariantRt, b: BurnEvidence): string {
  return `${v.arm} burns its error budget (${pct(b.budget)}) ${num(b.variantLong)}× over ${dur(b.longMs)} and ${num(b.variantShort)}× over ${dur(b.shortMs)} (threshold ${num(b.factor)}×, ${b.variantBadLong} bad in the long window) while control burns ${num(b.controlLong)}×`;
}

/** The control burns as much: pause and alert (or only alert in dry-run), never blame the variant. */
function shared(ctx: EngineContext, v: VariantRt, now: number, b: BurnEvidence, burn: BurnEvidence[]): Decision | undefined {
  const dryRun = ctx.guardrails.onBreach === 'alert';
  if (!dryRun && v.phase === 'paused') return undefined;
  if (!dryRun) v.phase = 'paused';
  const evidence = buildEvidence(ctx, v, now, burn);
  const t = evidence.tests[0]!;
  return {
    at: now,
    route: ctx.route,
    arm: v.arm,
    action: dryRun ? 'alert' : 'pause',
    fromPercent: v.percent,
    toPercent: v.percent,
    rule: 'burn-rate-shared',
    reason:
      `${v.arm} burns its error budget ${num(b.variantLong)}× over ${dur(b.longMs)} (threshold ${num(b.factor)}×) but control burns ${num(b.controlLong)}× too, ` +
      `within tolerance ${num(ctx.tolerance)}, and the ratio test does not reject (e-value ${num(t.eValue)} < ${num(t.threshold)}): ` +
      `the service is failing, not the variant; ${dryRun ? `alert only, weight stays ${num(v.percent)}%` : `paused at ${num(v.percent)}%`}.`,
    severity: 'warn',
    evidence,
  };
}

/** Step, promote, hold or nothing. */
function passSlow(ctx: EngineContext, all: readonly VariantRt[], v: VariantRt, now: number, burn: BurnEvidence[]): Decision | undefined {
  const rollout = ctx.rollout!;
  const steps = rollout.steps;
  const timeAt = now - v.stepStartedAt!;
  const enoughTime = timeAt >= rollout.minBake;
  const enoughSamples = v.variant.requests >= ctx.guardrails.minSamples;
  const tests = testsOf(v);
  if (enoughTime && enoughSamples && tests.every((t) => metricPasses(ctx, v, t.metric, t.seq))) {
    const from = v.percent;
    const next = Math.min(v.stepIndex + 1, steps.length - 1);
    const last = next === steps.length - 1;
    const to = last ? promotedPercent(ctx) : Math.min(steps[next]!, ctx.lane);
    const evidence = buildEvidence(ctx, v, now, burn);
    v.stepIndex = next;
    v.stepStartedAt = now;
    v.phase = last ? 'promoted' : 'progressing';
    setPercent(ctx, all, v, to);
    return {
      at: now,
      route: ctx.route,
      arm: v.arm,
      action: last ? 'promote' : 'step',
      fromPercent: from,
      toPercent: to,
      rule: 'pass-slow',
      reason: `${dur(timeAt)} at ${num(from)}% (minBake ${dur(rollout.minBake)}) with ${v.variant.requests} variant requests (minSamples ${ctx.guardrails.minSamples}); ${proofs(ctx, evidence)}: ${last ? `promoting to ${num(to)}%` : `stepping ${num(from)}% → ${num(to)}%`}.`,
      severity: 'info',
      evidence,
    };
  }
  if (v.phase !== 'progressing' || timeAt < rollout.maxStep) return undefined;
  v.phase = 'holding';
  const evidence = buildEvidence(ctx, v, now, burn);
  const why = !enoughSamples
    ? `only ${v.variant.requests} variant requests (minSamples ${ctx.guardrails.minSamples})`
    : `${v.variant.requests} variant requests but ${evidence.tests
        .filter((t) => !t.passes)
        .map((t) => `the ${t.metric}-event ratio's upper bound ${num(t.rhoUpper)} is not below tolerance ${num(ctx.tolerance)}`)
        .join(' and ')}`;
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

/** "ρ < 1.32 with 99% confidence (tolerance 1.5)" per test. */
function proofs(ctx: EngineContext, ev: Decision['evidence']): string {
  return ev.tests
    .map((t) =>
      t.rhoUpper !== null && t.rhoUpper <= ctx.tolerance
        ? `${t.metric}-event ratio ρ < ${num(t.rhoUpper)} with ${num((1 - t.alpha) * 100)}% confidence (tolerance ${num(ctx.tolerance)})`
        : `variant ${t.metric} rate ${pct(t.pVariant)} proven below its budget ${pct(t.budget)}`,
    )
    .join(', ');
}
