/**
 * The fleet seam over today's guardrails runtime. Local evidence is binned per route, arm and second
 * as `{requests, bad, slow, shareSum}` — plain counts that add up across replicas — and fed to the
 * engine's `recordBucket` at the second's mean share. (When the engine takes its own summable
 * per-second statistics, this file swaps its bins for them; the fleet code does not change.)
 */
import type { CompiledRoute } from '../routing/route.js';
import { classifyOutcome, outcomeRules } from '../guardrails/outcome.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import type { RouteState } from '../guardrails/types.js';
import type { ExchangeObserver } from '../telemetry/hooks.js';
import type { EvidenceSecond } from './evidence-log.js';
import type { EvidenceKind, FleetRuntime } from './seam.js';

/** One arm's second. */
export interface BucketSecond {
  requests: number;
  bad: number;
  slow: number;
  /** Sum of the arm's routing share over the requests (mean share = shareSum / requests). */
  shareSum: number;
}

const FIELDS = ['requests', 'bad', 'slow', 'shareSum'] as const;

/** How BucketSeconds add up. */
export const BUCKET_KIND: EvidenceKind<BucketSecond> = {
  merge: (a, b) => ({ requests: a.requests + b.requests, bad: a.bad + b.bad, slow: a.slow + b.slow, shareSum: a.shareSum + b.shareSum }),
  valid: (x): x is BucketSecond =>
    typeof x === 'object' &&
    x !== null &&
    FIELDS.every((k) => {
      const v = (x as Record<string, unknown>)[k];
      return typeof v === 'number' && Number.isFinite(v) && v >= 0;
    }),
};

/** Most seconds kept locally while they can't be flushed (a partition); older ones are dropped and counted. */
const MAX_PENDING_SECONDS = 600;

/**
 * The adapter and the observer that collects local evidence (it replaces the runtime's own observer in fleet mode).
 * @example const { fleetRuntime, observer } = createRuntimeAdapter(runtime, () => config.current().routes)
 */
export function createRuntimeAdapter(
  runtime: GuardrailsRuntime,
  routes: () => readonly CompiledRoute[],
): { fleetRuntime: FleetRuntime<BucketSecond>; observer: ExchangeObserver; dropped(): number } {
  // route → second → arm → bins
  const bins = new Map<string, Map<number, Map<string, BucketSecond>>>();
  let dropped = 0;
  const route = (name: string) => routes().find((r) => r.name === name);

  const observer: ExchangeObserver = {
    begin(x) {
      // Forced (QA) requests are not the split's users; they would bias the comparison.
      if (x.forced || !runtime.engine(x.route.name)) return undefined;
      const rules = outcomeRules(x.route.guardrails);
      return {
        end(outcome, totalMs) {
          const c = classifyOutcome(rules, outcome.status, totalMs);
          if (!c.counted) return;
          const sec = Math.floor(Date.now() / 1000);
          let perRoute = bins.get(x.route.name);
          if (!perRoute) bins.set(x.route.name, (perRoute = new Map()));
          let perSec = perRoute.get(sec);
          if (!perSec) {
            if (perRoute.size >= MAX_PENDING_SECONDS) {
              dropped++;
              return;
            }
            perRoute.set(sec, (perSec = new Map()));
          }
          let b = perSec.get(x.arm);
          if (!b) perSec.set(x.arm, (b = { requests: 0, bad: 0, slow: 0, shareSum: 0 }));
          b.requests++;
          if (c.bad) b.bad++;
          if (c.slow) b.slow++;
          b.shareSum += x.share;
        },
      };
    },
  };

  const fleetRuntime: FleetRuntime<BucketSecond> = {
    kind: BUCKET_KIND,
    routes: () =>
      routes()
        .filter((r) => runtime.engine(r.name))
        .map((r) => r.name),
    drain(before) {
      const out: EvidenceSecond<BucketSecond>[] = [];
      for (const [name, perRoute] of bins) {
        for (const [sec, arms] of perRoute) {
          if (sec >= before) continue;
          out.push({ route: name, sec, arms: Object.fromEntries(arms) });
          perRoute.delete(sec);
        }
      }
      return out.sort((a, b) => a.sec - b.sec);
    },
    feed(name, sec, arms) {
      const engine = runtime.engine(name);
      if (!engine) return;
      for (const [arm, b] of Object.entries(arms))
        if (b.requests > 0) engine.recordBucket(arm, sec * 1000, b.requests, b.bad, Math.min(1, b.shareSum / b.requests), b.slow);
    },
    evaluate: (name, at) => runtime.engine(name)?.evaluate(at) ?? [],
    apply: (name, decisions) => runtime.apply(name, decisions),
    state: (name) => runtime.engine(name)?.state(),
    adopt: (name, state) => runtime.adopt(name, state as RouteState),
    weights: (name) => runtime.engine(name)?.weights() ?? {},
    webhook: (name) => route(name)?.guardrails?.webhook,
  };
  return { fleetRuntime, observer, dropped: () => dropped };
}
