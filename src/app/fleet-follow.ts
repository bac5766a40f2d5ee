/**
 * A fleet replica's start on the fleet's decisions: it follows the stored bandit weights and fault
 * ramps (each re-sync bounded by the shutdown grace), and runs a ramp judge while it holds a route's lease.
 */
import { raceDeadline, SHUTDOWN_GRACE_MS } from '../async/deadline.js';
import type { BanditRuntime } from '../experiments/bandit.js';
import { faultState } from '../faults/control.js';
import { createRampRuntime, type RampRuntime } from '../faults/ramp-runtime.js';
import type { FleetMember } from '../fleet/join.js';
import type { GuardrailStore } from '../storage/guardrail-types.js';
import type { Logger } from '../telemetry/logger.js';

/** What the replica's follow drives. */
export interface FleetFollowDeps {
  readonly bandits: Pick<BanditRuntime, 'adopt' | 'appliedSeq'>;
  /** This replica's follower runtime (`mode: 'follow'`). */
  readonly ramps: RampRuntime;
  readonly store: Pick<GuardrailStore, 'saveState' | 'appendDecision' | 'loadStates'>;
  readonly log: Logger;
}

/**
 * Follows the fleet's bandit rows, then its fault ramps; resolves once both have re-synced (or the grace ran out).
 * @example if (member) await followFleet(member, { bandits, ramps, store: stores.guardrails, log })
 */
export async function followFleet(member: Pick<FleetMember, 'followBandits' | 'followRamps'>, deps: FleetFollowDeps): Promise<void> {
  const { bandits } = deps;
  await raceDeadline(
    member.followBandits((route, state, seq) => bandits.adopt(route, state, seq) || bandits.appliedSeq(route) >= seq),
    SHUTDOWN_GRACE_MS,
  );
  await raceDeadline(
    member.followRamps(deps.ramps, () => rampJudge(deps)),
    SHUTDOWN_GRACE_MS,
  );
}

/** The judge a replica runs while it holds a `ramp:ROUTE` lease: on the stored states, no timer, never injecting. */
async function rampJudge(deps: FleetFollowDeps): Promise<RampRuntime> {
  return createRampRuntime({
    store: deps.store,
    states: await deps.store.loadStates(),
    log: deps.log,
    faultsOn: () => faultState().enabled,
    mode: 'judge',
    evaluateEveryMs: 0,
    injects: false,
  });
}
