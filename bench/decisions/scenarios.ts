/**
 * The deciders run on simulated traffic (traffic.ts): Fieldlab's engine, fed one ArmSecond per arm per
 * second exactly as the proxy's collector would, evaluated after every second; and a Flagger-style
 * absolute gate (canary request-success-rate ≥ 99 % per 1-minute interval, threshold 1, an interval
 * with no canary requests is a failed check — "no values found") for comparison.
 */
import { Guardrails, Rollout } from '../../src/config/schema-guardrails.js';
import type { RawGuardrails } from '../../src/config/schema.js';
import { createEngine } from '../../src/guardrails/engine.js';
import { binomial, poisson, type Rng } from '../../src/stats/random.js';
import { createTraffic, type TrafficSpec } from './traffic.js';

/** Guardrails at an availability SLO (percent), defaults otherwise; `p99` adds a latency SLO. */
export function benchGuardrails(availability: number, p99?: string): RawGuardrails {
  return Guardrails.parse({ slo: { availability, ...(p99 ? { latency: { p99 } } : {}) } });
}

const T0 = 1_800_000_000_000;

/** First rollback and first pause (or alert) of one engine in one run, in seconds; null = none. */
export interface FixedResult {
  rollbackAt: number | null;
  pauseAt: number | null;
  rule: string | null;
}

/**
 * Runs every engine in `configs` on the same traffic at a fixed weight (a split, no rollout).
 * @example runFixed([benchGuardrails(99.9)], spec, 0.01, 3600, rnd)
 */
export function runFixed(configs: readonly RawGuardrails[], spec: TrafficSpec, weight: number, seconds: number, rnd: Rng): FixedResult[] {
  const traffic = createTraffic(spec, rnd);
  const engines = configs.map((g) =>
    createEngine('bench', { guardrails: g, variants: ['v'], splitPercent: { v: weight * 100 } }, undefined, T0),
  );
  const res: FixedResult[] = configs.map(() => ({ rollbackAt: null, pauseAt: null, rule: null }));
  let live = engines.length;
  for (let t = 0; t < seconds && live > 0; t++) {
    const sec = traffic.second(t, weight);
    for (let i = 0; i < engines.length; i++) {
      const r = res[i]!;
      if (r.rollbackAt !== null) continue;
      const e = engines[i]!;
      e.recordSecond(T0 / 1000 + t, sec);
      for (const d of e.evaluate(T0 + (t + 1) * 1000)) {
        if (d.action === 'rollback') {
          r.rollbackAt = t + 1;
          r.rule = d.rule;
          live--;
        } else if (d.action === 'pause' || d.action === 'alert') r.pauseAt ??= t + 1;
      }
    }
  }
  return res;
}

/** The rollout the bench runs: 1 → 5 → 25 → 50 → 100 %, default bake and max step. */
export const BENCH_STEPS = [1, 5, 25, 50, 100];
const BENCH_ROLLOUT = Rollout.parse({ steps: BENCH_STEPS, minBake: '2m', maxStep: '30m' });

/** Outcome of one rollout run that may break at a step. */
export interface RolloutResult {
  /** Seconds when the variant first reached the breaking step; null = never. */
  reachedAt: number | null;
  /** Seconds from reaching it to the rollback; null = not rolled back. */
  detectedAfter: number | null;
  steppedWhileBroken: boolean;
  promotedWhileBroken: boolean;
  promotedAt: number | null;
  pauseAt: number | null;
}

/**
 * Runs a whole rollout; the variant's weight follows the engine's decisions.
 * @example runRollout(benchGuardrails(99.9), { ...spec, breakAt: 25, breakTo: 0.01 }, 4 * 3600, rnd)
 */
export function runRollout(g: RawGuardrails, spec: TrafficSpec, seconds: number, rnd: Rng): RolloutResult {
  const traffic = createTraffic(spec, rnd);
  const engine = createEngine('bench', { guardrails: g, rollout: BENCH_ROLLOUT, variants: ['v'], splitPercent: {} }, undefined, T0);
  const r: RolloutResult = {
    reachedAt: null,
    detectedAfter: null,
    steppedWhileBroken: false,
    promotedWhileBroken: false,
    promotedAt: null,
    pauseAt: null,
  };
  for (let t = 0; t < seconds; t++) {
    const w = engine.percent('v') / 100;
    const broken = spec.breakAt !== undefined && w * 100 >= spec.breakAt;
    if (broken) r.reachedAt ??= t;
    engine.recordSecond(T0 / 1000 + t, traffic.second(t, w));
    for (const d of engine.evaluate(T0 + (t + 1) * 1000)) {
      if (d.action === 'rollback') {
        if (r.reachedAt !== null) r.detectedAfter = t + 1 - r.reachedAt;
        return r;
      }
      if (d.action === 'pause') r.pauseAt ??= t + 1;
      if (d.action === 'step' && r.reachedAt !== null) r.steppedWhileBroken = true;
      if (d.action === 'promote') {
        r.promotedAt = t + 1;
        r.promotedWhileBroken = r.reachedAt !== null;
        return r;
      }
    }
  }
  return r;
}

/** Flagger's `request-success-rate` minimum for the gate. */
export const FLAGGER_MIN_SUCCESS = 99;

/**
 * The Flagger-style gate on independent crowd traffic: one check per minute on that minute's canary.
 * @example runFlagger({ rps: 50, weight: 0.01, pVariant: 0.5 }, 3600, rnd)
 */
export function runFlagger(sc: { rps: number; weight: number; pVariant: number }, seconds: number, rnd: Rng): number | null {
  const perMinute = sc.rps * sc.weight * 60;
  for (let m = 1; m * 60 <= seconds; m++) {
    const n = poisson(rnd, perMinute);
    if (n === 0) return m * 60;
    const failed = binomial(rnd, n, sc.pVariant);
    if (((n - failed) / n) * 100 < FLAGGER_MIN_SUCCESS) return m * 60;
  }
  return null;
}
