/**
 * A replica cut off from the database keeps serving with its last weights and keeps its own
 * fail-fast evaluation on its own evidence — but it may only move traffic away from a variant:
 * rollback, pause or alert. A step up or a promotion needs the fleet's evidence and the fleet's
 * decider; if the engine would take one, its state is put back as it was (the decision is dropped,
 * and the engine asks again next second, on more evidence).
 */
import type { Action, Decision } from '../guardrails/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { EvidenceSecond } from './evidence-log.js';
import type { FleetRuntime } from './seam.js';

/** What a partitioned replica may do alone. */
const ALONE: ReadonlySet<Action> = new Set<Action>(['rollback', 'pause', 'alert']);

/**
 * Feeds this second's local evidence and applies the rollbacks the engine makes on it.
 * @example localDecisions(runtime, drained, Date.now(), log, (d) => announce(d, null))
 */
export function localDecisions<S>(
  runtime: FleetRuntime<S>,
  local: readonly EvidenceSecond<S>[],
  nowMs: number,
  log: Logger,
  announce: (d: Decision) => void,
): void {
  for (const s of local) runtime.feed(s.route, s.sec, s.arms);
  for (const route of runtime.routes()) {
    const before = runtime.state(route);
    const decisions = runtime.evaluate(route, nowMs);
    if (decisions.length === 0) continue;
    if (decisions.every((d) => ALONE.has(d.action))) {
      runtime.apply(route, decisions);
      for (const d of decisions) announce(d);
      log.warn(
        { type: 'fleet-local-decision', route, actions: decisions.map((d) => d.action) },
        'decided alone while cut off from the fleet',
      );
    } else {
      runtime.adopt(route, before);
    }
  }
}
