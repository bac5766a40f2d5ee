// Seeded traffic on a fake clock for the guardrails tests: configs parsed through the real schema (so
// defaults match production), ArmSecond builders, and a loop that feeds an engine one second of
// crowd traffic per arm (each request its own unit) and evaluates after each second, like the proxy.
import { Guardrails, Rollout } from '../../../src/config/schema-guardrails.js';
import { emptyArmSecond, type ArmSecond } from '../../../src/guardrails/arm-second.js';
import { createEngine, type Engine, type EngineConfig } from '../../../src/guardrails/engine.js';
import type { Decision } from '../../../src/guardrails/types.js';
import { poisson } from '../../../src/stats/random.js';

export const T0 = 1_800_000_000_000;

export { mulberry32, poisson } from '../../../src/stats/random.js';

export const guardrails = (over: Record<string, unknown> = {}) => Guardrails.parse({ slo: { availability: 99 }, ...over });
export const rollout = (over: Record<string, unknown> = {}) => Rollout.parse({ steps: [1, 5, 25, 50, 100], ...over });

/** One variant 'v' with `cfg` overrides. */
export function engineFor(over: Partial<EngineConfig> = {}, restored?: unknown, now = T0): Engine {
  return createEngine('r', { guardrails: guardrails(), variants: ['v'], splitPercent: { v: 1 }, ...over }, restored, now);
}

/**
 * A crowd second: `requests` distinct units, `bad` and `slow` of them with one observation each.
 * @example crowd(100, 2) // 100 requests, 2 bad
 */
export function crowd(requests: number, bad = 0, slow = 0, top = 0): ArmSecond {
  const s = emptyArmSecond();
  Object.assign(s, { requests, exposure: requests, units: requests, bad, exposureBad: bad, badObs: bad, badClients: bad });
  Object.assign(s, { slow, exposureSlow: slow, slowObs: slow, topBad: top });
  return s;
}

export interface Traffic {
  rps: number;
  pControl: number;
  pVariant: number;
  slowControl?: number;
  slowVariant?: number;
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
  const seen = new Set<string>();
  for (let t = from; t < from + seconds; t++) {
    const w = engine.percent('v') / 100;
    const arm = (rate: number, p: number, ps: number, name: string) => {
      // Poisson thinning: bad and good requests are independent Poisson counts.
      const bad = poisson(rnd, rate * p);
      const n = bad + poisson(rnd, rate * (1 - p));
      const slow = Math.min(n, poisson(rnd, rate * ps));
      // The hour's largest contributor is 1 once the arm has any observation (all units distinct).
      const key = `${name}:${Math.floor(t / 3600)}`;
      const top = bad > 0 && !seen.has(key) ? 1 : 0;
      if (top) seen.add(key);
      return crowd(n, bad, slow, top);
    };
    engine.recordSecond(T0 / 1000 + t, {
      v: arm(traffic.rps * w, traffic.pVariant, traffic.slowVariant ?? 0, 'v'),
      control: arm(traffic.rps * (1 - w), traffic.pControl, traffic.slowControl ?? 0, 'control'),
    });
    for (const d of engine.evaluate(T0 + (t + 1) * 1000)) {
      out.push({ t: t + 1, d });
      if (stopOn?.(d)) return out;
    }
  }
  return out;
}
