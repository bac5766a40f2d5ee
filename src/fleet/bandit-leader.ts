/**
 * The fleet's bandit decider: the guardrails' lease and decision log, reused under the key
 * `bandit:ROUTE` (a route's guardrail decider and its bandit decider are separate leases, so either
 * may move without the other). Publishing is fenced by the lease's epoch in the database, like a
 * guardrail decision, and sends the same NOTIFY; every replica's fleet re-sync (NOTIFY, poll,
 * reconnect) hands the newest `bandit:` rows to its bandit runtime (`followBanditRows`).
 */
import type { BanditLeader } from '../experiments/bandit-lead.js';
import type { DecisionLog, FleetDecision } from './decision-log.js';
import type { Leases } from './leases.js';

const PREFIX = 'bandit:';

/**
 * @example const leader = createFleetBanditLeader(leases, decisionLog); await leader.lead('product')
 */
export function createFleetBanditLeader(leases: Leases, log: Pick<DecisionLog, 'publish'>): BanditLeader {
  const held = new Set<string>();
  return {
    async lead(route) {
      const epoch = await leases.acquire(PREFIX + route);
      if (epoch === null) held.delete(route);
      else held.add(route);
      return epoch;
    },
    async publish(route, epoch, shared) {
      const res = await log.publish({
        route: PREFIX + route,
        epoch,
        at: shared.updatedAt,
        weights: Object.fromEntries(shared.arms.slice(1).map((a, i) => [a, shared.percents[i + 1]!])),
        decisions: [],
        state: shared,
        through: null,
      });
      if (res.ok) return res.seq;
      held.delete(route);
      return undefined;
    },
    async release() {
      await Promise.all([...held].map((r) => leases.release(PREFIX + r).catch(() => undefined)));
      held.clear();
    },
  };
}

/**
 * Hands the `bandit:` rows among a re-sync's newest decisions to `adopt` (route without the prefix),
 * and `applied` those this process now runs (adopted now or before), for its heartbeat.
 * @example followBanditRows(await decisionLog.latest(), (route, state, seq) => bandits.adopt(route, state, seq) || bandits.appliedSeq(route) >= seq, fleet.markApplied)
 */
export function followBanditRows(
  rows: readonly FleetDecision[],
  adopt: (route: string, state: unknown, seq: number) => boolean,
  applied: (key: string, seq: number) => void,
): void {
  for (const d of rows) if (d.route.startsWith(PREFIX) && adopt(d.route.slice(PREFIX.length), d.state, d.seq)) applied(d.route, d.seq);
}
