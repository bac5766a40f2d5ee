// Seeded traffic on a fake clock for the guardrails tests: mulberry32, Poisson draws, configs parsed
// through the real schema (so defaults match production) and a loop that feeds an engine one bucket
// per arm per second and evaluates after each second, like the proxy's timer.
import { Guardrails, Rollout } from '../../../src/config/schema-guardrails.js';
import { createEngine, type Engine, type EngineConfig } from '../../../src/guardrails/engine.js';
import type { Decision } from '../../../src/guardrails/types.js';

export const T0 = 1_800_000_000_000;

export { mulberry32 } from '../../../src/stats/random.js';

/** Poisson(λ): inversion for small λ, normal approximation above 50 (plenty for these tests). */
export function poisson(rnd: () => number, lambda: number): number {
  if (!(lambda > 0)) return 0;
  if (lambda > 50) {
    const z = Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
    return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * z));
  }
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = rnd();
  while (p > limit) {
    k++;
    p *= rnd();
  }
  return k;
}

export const guardrails = (over: Record<string, unknown> = {}) => Guardrails.parse({ slo: { availability: 99 }, ...over });
export const rollout = (over: Record<string, unknown> = {}) => Rollout.parse({ steps: [1, 5, 25, 50, 100], ...over });

/** One variant 'v' with `cfg` overrides. */
export function engineFor(over: Partial<EngineConfig> = {}, restored?: Parameters<typeof createEngine>[2]): Engine {
  return createEngine('r', { guardrails: guardrails(), variants: ['v'], splitPercent: { v: 1 }, ...over }, restored);
}

export interface Traffic {
  rps: number;
  pControl: number;
  pVariant: number;
}

/**
 * Feeds `seconds` seconds starting at second `from`; the variant's weight is whatever the engine says
 * each second. Returns the decisions with the second they were made at.
 */
export function drive(
  engine: Engine,
  rnd: () => number,
  traffic: Traffic,
  seconds: number,
  from = 0,
  stopOn?: (d: Decision) => boolean,
): { t: number; d: Decision }[] {
  const out: { t: number; d: Decision }[] = [];
  for (let t = from; t < from + seconds; t++) {
    const at = T0 + t * 1000;
    const w = engine.percent('v') / 100;
    const vBad = poisson(rnd, traffic.rps * w * traffic.pVariant);
    const vGood = poisson(rnd, traffic.rps * w * (1 - traffic.pVariant));
    const cBad = poisson(rnd, traffic.rps * (1 - w) * traffic.pControl);
    const cGood = poisson(rnd, traffic.rps * (1 - w) * (1 - traffic.pControl));
    if (w > 0) engine.recordBucket('v', at, vBad + vGood, vBad, w);
    engine.recordBucket('control', at, cBad + cGood, cBad, 1 - w);
    for (const d of engine.evaluate(at + 1000)) {
      out.push({ t: t + 1, d });
      if (stopOn?.(d)) return out;
    }
  }
  return out;
}
