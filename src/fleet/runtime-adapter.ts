/**
 * The fleet seam over the guardrails runtime. Local evidence is collected per route by the
 * guardrails' own collector into per-second, per-arm ArmSecond statistics — plain counts that add
 * up across replicas (`mergeArmSecond`) — and fed to the route's engine with `recordSecond`. The
 * per-unit and per-client caps are applied per process (see guardrails/collector.ts).
 */
import { isArmSecond, mergeArmSecond, type ArmSecond } from '../guardrails/arm-second.js';
import { createCollector, type Collector } from '../guardrails/collector.js';
import { classifyOutcome, outcomeRules } from '../guardrails/outcome.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import type { RouteState } from '../guardrails/types.js';
import type { CompiledRoute } from '../routing/route.js';
import type { ExchangeObserver } from '../telemetry/hooks.js';
import type { EvidenceSecond } from './evidence-log.js';
import type { EvidenceKind, FleetRuntime } from './seam.js';

/** How ArmSeconds add up. */
export const ARM_SECOND_KIND: EvidenceKind<ArmSecond> = { merge: mergeArmSecond, valid: isArmSecond };

/**
 * The adapter and the observer that collects local evidence (it replaces the runtime's own observer in fleet mode).
 * @example const { fleetRuntime, observer } = createRuntimeAdapter(runtime, () => config.current().routes)
 */
export function createRuntimeAdapter(
  runtime: GuardrailsRuntime,
  routes: () => readonly CompiledRoute[],
): { fleetRuntime: FleetRuntime<ArmSecond>; observer: ExchangeObserver; dropped(): number } {
  const collectors = new Map<string, Collector>();
  const route = (name: string) => routes().find((r) => r.name === name);
  const collectorFor = (r: CompiledRoute): Collector => {
    let c = collectors.get(r.name);
    if (!c) {
      collectors.set(r.name, (c = createCollector({ keyCap: r.guardrails?.keyCap ?? 2, clientCap: r.guardrails?.clientCap ?? 5 })));
    }
    return c;
  };

  const observer: ExchangeObserver = {
    begin(x) {
      // Forced (QA) requests are not the split's users, nor are requests outside the experiment's
      // audience (targeting, layer slice); either would bias the comparison (as in guardrails/runtime.ts);
      // nor are injected faults, which are ours and not the arm's.
      if (x.forced || x.excluded || x.fault || !runtime.engine(x.route.name)) return undefined;
      const rules = outcomeRules(x.route.guardrails);
      const c = collectorFor(x.route);
      return {
        end(outcome, totalMs) {
          // The upstream's time, never the client's upload.
          const upstreamMs = outcome.upstreamMs ?? totalMs;
          const k = classifyOutcome(rules, outcome.status, upstreamMs);
          if (k.counted) c.record({ arm: x.arm, key: x.key, client: x.clientIp, bad: k.bad, slow: k.slow, upstreamMs, at: Date.now() });
        },
      };
    },
  };

  const fleetRuntime: FleetRuntime<ArmSecond> = {
    kind: ARM_SECOND_KIND,
    routes: () =>
      routes()
        .filter((r) => runtime.engine(r.name))
        .map((r) => r.name),
    drain(before) {
      const out: EvidenceSecond<ArmSecond>[] = [];
      for (const [name, c] of collectors) for (const s of c.drain(before)) out.push({ route: name, sec: s.sec, arms: s.arms });
      return out.sort((a, b) => a.sec - b.sec);
    },
    feed(name, sec, arms) {
      runtime.engine(name)?.recordSecond(sec, arms);
    },
    evaluate: (name, at) => runtime.engine(name)?.evaluate(at) ?? [],
    apply: (name, decisions) => runtime.apply(name, decisions),
    state: (name) => runtime.engine(name)?.state(),
    adopt: (name, state) => runtime.adopt(name, state as RouteState),
    weights: (name) => runtime.engine(name)?.weights() ?? {},
    webhook: (name) => route(name)?.guardrails?.webhook,
  };
  return { fleetRuntime, observer, dropped: () => 0 };
}
