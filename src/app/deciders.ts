/**
 * The run-time deciders, in the order they depend on each other: the guardrails (with their webhook),
 * the sick-canary ramp, the fleet membership of a postgres:// store, the experiments the bandits read,
 * and the bandits. Each is attached to the live snapshot as it is made.
 */
import type { ProcessRole } from '../cluster/role.js';
import type { ConfigManager } from '../config/manager.js';
import type { RawConfig } from '../config/schema.js';
import { createBanditRuntime, type BanditRuntime } from '../experiments/bandit.js';
import { createNullBranch, type NullBranchCollector } from '../experiments/null-branch.js';
import { createExperimentRecorder, type ExperimentRecorder } from '../experiments/recorder.js';
import { createExperimentResults, type ExperimentResults } from '../experiments/results.js';
import { faultState } from '../faults/control.js';
import { createRampRuntime, type RampRuntime, type RampStatus } from '../faults/ramp-runtime.js';
import { type FleetMember, joinFleet } from '../fleet/join.js';
import { createWebhookNotifier, type WebhookNotifier } from '../guardrails/notify-webhook.js';
import { createGuardrailsRuntime, type GuardrailsRuntime } from '../guardrails/runtime.js';
import type { Stores } from '../storage/types.js';
import type { Logger } from '../telemetry/logger.js';
import { followFleet } from './fleet-follow.js';

/** What the deciders are made from. */
export interface DecidersDeps {
  /** The config the app started on. */
  readonly cfg: RawConfig;
  readonly config: ConfigManager;
  readonly stores: Stores;
  /** The stored states, loaded before listening. */
  readonly states: ReadonlyMap<string, unknown>;
  /** True with a postgres:// store. */
  readonly fleetMode: boolean;
  readonly role: ProcessRole | undefined;
  readonly env: Record<string, string | undefined>;
  readonly log: Logger;
  /** The admin API's base URL, for a webhook message's default link. */
  readonly adminUrl: () => string | undefined;
}

/** The started deciders. */
export interface Deciders {
  readonly notifier: WebhookNotifier;
  readonly guardrails: GuardrailsRuntime;
  readonly ramps: RampRuntime;
  /** This replica in the fleet (postgres:// store only). */
  readonly member: FleetMember | undefined;
  readonly experiments: ExperimentRecorder;
  readonly nullBranch: NullBranchCollector;
  readonly results: ExperimentResults;
  readonly bandits: BanditRuntime;
  /** What the admin API shows: the judge's view where this replica judges, else what it follows. */
  readonly rampStatus: (route?: string) => readonly RampStatus[];
}

/**
 * Creates and attaches the deciders; on a fleet store, resolves once the replica has joined and followed the fleet.
 * @example const { guardrails, bandits, ramps } = await startDeciders({ cfg, config, stores, states, fleetMode, role, env, log, adminUrl })
 */
export async function startDeciders(deps: DecidersDeps): Promise<Deciders> {
  const { cfg, config, stores, states, fleetMode, role, log } = deps;
  const notifier = createWebhookNotifier({
    onError: (err, job) => log.warn({ err, url: job.url, attempt: job.attempt }, 'webhook delivery failed'),
    adminUrl: deps.adminUrl,
  });
  // Fleet mode (a postgres:// store): the fleet feeds the engines the fleet's evidence, decides on
  // one replica, and sends each decision's webhook once, with its sequence number.
  const guardrails = createGuardrailsRuntime({
    store: stores.guardrails,
    states,
    notifier: fleetMode ? { ...notifier, notify: () => true } : notifier,
    log,
    // In a group on SQLite the primary decides on every worker's evidence (cluster/primary.ts).
    ...(fleetMode || role ? { evaluateEveryMs: 0 } : {}),
  });
  guardrails.attach(config.current());
  // The sick-canary ramp has one judge: the process itself, or a group's primary on its workers'
  // relayed evidence (cluster/primary.ts), or on a fleet store the holder of the route's lease.
  const ramps = createRampRuntime({
    store: stores.guardrails,
    states,
    log,
    faultsOn: () => faultState().enabled,
    // On a fleet store every replica follows; the holder of `ramp:ROUTE` also runs a judge (fleet/ramp-fleet.ts).
    ...(fleetMode ? { mode: 'follow' as const } : role ? { mode: role.proxy ? 'follow' : 'judge' } : {}),
  });
  ramps.attach(config.current());
  const member = fleetMode
    ? await joinFleet({ url: cfg.store.url, config, runtime: guardrails, notifier, log, env: deps.env, serves: role?.proxy !== false })
    : undefined;
  // Experiments: exposures and goal events batched to the store from a timer, never per request.
  const experiments = createExperimentRecorder({
    store: stores.experiments,
    current: config.current,
    onError: (err) => log.warn({ err }, 'experiment batch not stored (dropped and counted)'),
    onGoal: ramps.goal,
  });
  const nullBranch = createNullBranch();
  const results = createExperimentResults({ store: stores.experiments, current: config.current, recorder: experiments.stats, nullBranch });
  // After the guardrails: a rolled-back arm (closed in the weight cell) stays at 0 under the bandit.
  // One decider per group or fleet (experiments/bandit-lead.ts): a worker on SQLite follows its
  // primary; a fleet replica decides only while it holds the route's bandit lease.
  const bandits = createBanditRuntime({
    results,
    experiments: stores.experiments,
    decisions: stores.guardrails,
    log,
    follow: (route, percents) => guardrails.follow(route, percents),
    ...(member ? { leader: member.banditLeader } : {}),
    ...(role?.admin === false && !fleetMode ? { follower: true } : {}),
  });
  bandits.attach(config.current());
  // Before listening: a replica joining a running fleet serves the stored weights, not burn-in's.
  if (member) await followFleet(member, { bandits, ramps, store: stores.guardrails, log });
  const rampStatus = (route?: string) => member?.rampJudge()?.status(route) ?? ramps.status(route);
  return { notifier, guardrails, ramps, member, experiments, nullBranch, results, bandits, rampStatus };
}
