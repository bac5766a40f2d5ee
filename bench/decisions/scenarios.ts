/**
 * The simulated traffic of the decisions bench and the two deciders run on it: Fieldlab's engine,
 * fed one bucket per arm per second exactly as the proxy's per-second aggregation would, and a
 * Flagger-style absolute gate (canary request-success-rate ≥ 99 % per 1-minute interval, threshold 1
 * failed check ⇒ rollback, an interval with no canary requests is a failed check — "no values found").
 *
 * Arrivals are Poisson; a request is bad with its arm's error rate, independently, so an arm's bad and
 * good requests in a second are independent Poisson draws (Poisson thinning).
 */
import { Guardrails, Rollout } from '../../src/config/schema-guardrails.js';
import { createEngine } from '../../src/guardrails/engine.js';
import { binomial, poisson, type Rng } from '../../src/stats/random.js';

/** One cell of the bench. */
export interface Scenario {
  name: string;
  rps: number;
  /** Variant weight, 0–1. */
  weight: number;
  pControl: number;
  pVariant: number;
  /** Simulated seconds per run. */
  seconds: number;
}

/** Outcome of one run: seconds until rollback (null = none within the run) and the rule that fired. */
export interface RunResult {
  rollbackAt: number | null;
  rule: string | null;
  /** Seconds until the first decision of any kind other than rollback (pause, alert, hold), if any. */
  otherAt?: number | null;
}

/** Outcome of one rollout run. */
export interface RolloutResult {
  promotedAt: number | null;
  rollbackAt: number | null;
}

/** The route the bench's engine guards: SLO 99 % (the same bar as Flagger's gate), defaults otherwise. */
export const BENCH_GUARDRAILS = Guardrails.parse({ slo: { availability: 99 } });

const T0 = 1_800_000_000_000;

/**
 * Runs Fieldlab's engine on one simulated run.
 * @example runEngine(scenario, mulberry32(1))
 */
export function runEngine(sc: Scenario, rnd: Rng): RunResult {
  const engine = createEngine('bench', { guardrails: BENCH_GUARDRAILS, variants: ['v'], splitPercent: { v: sc.weight * 100 } });
  const vRate = sc.rps * sc.weight;
  const cRate = sc.rps * (1 - sc.weight);
  let otherAt: number | null = null;
  for (let t = 0; t < sc.seconds; t++) {
    const at = T0 + t * 1000;
    const vBad = poisson(rnd, vRate * sc.pVariant);
    const vGood = poisson(rnd, vRate * (1 - sc.pVariant));
    const cBad = poisson(rnd, cRate * sc.pControl);
    const cGood = poisson(rnd, cRate * (1 - sc.pControl));
    engine.recordBucket('v', at, vBad + vGood, vBad, sc.weight);
    engine.recordBucket('control', at, cBad + cGood, cBad, 1 - sc.weight);
    for (const d of engine.evaluate(at + 1000)) {
      if (d.action === 'rollback') return { rollbackAt: t + 1, rule: d.rule, otherAt };
      otherAt ??= t + 1;
    }
  }
  return { rollbackAt: null, rule: null, otherAt };
}

/** The rollout compared in the informational row: Flagger-like ladder, Fieldlab's default bake. */
export const BENCH_STEPS = [1, 5, 25, 50, 100];
const BENCH_ROLLOUT = Rollout.parse({ steps: BENCH_STEPS, minBake: '2m', maxStep: '30m' });

/**
 * Runs a whole rollout with Fieldlab's engine: the variant's weight follows its decisions.
 * @example runEngineRollout({ ...scenario, seconds: 7200 }, mulberry32(1))
 */
export function runEngineRollout(sc: Scenario, rnd: Rng): RolloutResult {
  const engine = createEngine('bench', { guardrails: BENCH_GUARDRAILS, rollout: BENCH_ROLLOUT, variants: ['v'], splitPercent: {} });
  for (let t = 0; t < sc.seconds; t++) {
    const at = T0 + t * 1000;
    const w = engine.percent('v') / 100;
    const vBad = poisson(rnd, sc.rps * w * sc.pVariant);
    const vGood = poisson(rnd, sc.rps * w * (1 - sc.pVariant));
    const cBad = poisson(rnd, sc.rps * (1 - w) * sc.pControl);
    const cGood = poisson(rnd, sc.rps * (1 - w) * (1 - sc.pControl));
    engine.recordBucket('v', at, vBad + vGood, vBad, w);
    engine.recordBucket('control', at, cBad + cGood, cBad, 1 - w);
    for (const d of engine.evaluate(at + 1000)) {
      if (d.action === 'promote') return { promotedAt: t + 1, rollbackAt: null };
      if (d.action === 'rollback') return { promotedAt: null, rollbackAt: t + 1 };
    }
  }
  return { promotedAt: null, rollbackAt: null };
}

/** Flagger's `request-success-rate` minimum for the gate. */
export const FLAGGER_MIN_SUCCESS = 99;

/**
 * Runs the Flagger-style gate: one check at the end of each minute on that minute's canary traffic.
 * @example runFlagger(scenario, mulberry32(1))
 */
export function runFlagger(sc: Scenario, rnd: Rng): RunResult {
  const perMinute = sc.rps * sc.weight * 60;
  for (let m = 1; m * 60 <= sc.seconds; m++) {
    const n = poisson(rnd, perMinute);
    if (n === 0) return { rollbackAt: m * 60, rule: 'no-values' };
    const failed = binomial(rnd, n, sc.pVariant);
    if (((n - failed) / n) * 100 < FLAGGER_MIN_SUCCESS) return { rollbackAt: m * 60, rule: 'success-rate' };
  }
  return { rollbackAt: null, rule: null };
}

/**
 * Flagger stepping through the same weights (`stepWeights`, interval 1m): one check per step on that
 * minute's canary traffic; every check passing promotes after the last step's check.
 * @example runFlaggerRollout(scenario, mulberry32(1))
 */
export function runFlaggerRollout(sc: Scenario, rnd: Rng): RolloutResult {
  for (let i = 0; i < BENCH_STEPS.length; i++) {
    const n = poisson(rnd, sc.rps * (BENCH_STEPS[i]! / 100) * 60);
    const failed = binomial(rnd, n, sc.pVariant);
    if (n === 0 || ((n - failed) / n) * 100 < FLAGGER_MIN_SUCCESS) return { promotedAt: null, rollbackAt: (i + 1) * 60 };
  }
  return { promotedAt: BENCH_STEPS.length * 60, rollbackAt: null };
}
