/**
 * Turns a process into a fleet replica when its store is PostgreSQL: opens a small pool of its own
 * (the stores keep theirs), migrates, and starts the fleet over the guardrails runtime. The
 * runtime's own timer and observer stay off in fleet mode: the fleet feeds and asks the engines.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { RawConfig } from '../config/schema.js';
import type { ConfigManager } from '../config/manager.js';
import type { WebhookNotifier } from '../guardrails/notify-webhook.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import { migratePostgres } from '../storage/postgres/migrations.js';
import { createPgDatabase, type PgDatabase } from '../storage/postgres/pool.js';
import { parsePostgresUrl } from '../storage/postgres/url.js';
import type { ExchangeObserver } from '../telemetry/hooks.js';
import type { Logger } from '../telemetry/logger.js';
import type { BanditLeader } from '../experiments/bandit-lead.js';
import { createFleetBanditLeader, followBanditRows } from './bandit-leader.js';
import { createDecisionLog } from './decision-log.js';
import type { RampRuntime } from '../faults/ramp-runtime.js';
import { startFleetRamps } from './ramp-fleet.js';
import { startFleetFaultShare } from '../faults/fleet-share.js';
import { startFleetFaultSwitch, type FleetFaultSwitch } from '../faults/fleet-switch.js';
import { startFleet, type Fleet } from './fleet.js';
import { createLeases } from './leases.js';
import { replicaIdentity } from './identity.js';
import { createRuntimeAdapter } from './runtime-adapter.js';

/** A joined replica: the fleet, the observer collecting its evidence, and what closes both. */
export interface FleetMember {
  readonly fleet: Fleet;
  readonly observer: ExchangeObserver;
  /** The runtime as the admin API should see it: a manual action is applied here and published to the fleet. */
  readonly runtime: GuardrailsRuntime;
  /** The fault kill switch across the fleet (faults/fleet-switch.ts). */
  readonly faults: FleetFaultSwitch;
  /** Decides a bandit route while holding its `bandit:ROUTE` lease. */
  readonly banditLeader: BanditLeader;
  /** Where the fleet's bandit rows go (the bandit runtime exists after the member); then re-syncs once. */
  followBandits(adopt: (route: string, state: unknown, seq: number) => boolean): Promise<void>;
  /** Starts the fleet's fault ramps (fleet/ramp-fleet.ts) over this replica's follower runtime. */
  followRamps(follower: RampRuntime, judge: () => Promise<RampRuntime>): Promise<void>;
  /** The ramp judge this replica runs now (it holds a `ramp:ROUTE` lease), if any. */
  rampJudge(): RampRuntime | undefined;
  stop(): Promise<void>;
}

/**
 * Whether `url` puts this process in fleet mode.
 * @example isFleetStore('postgres://fieldlab@db/fieldlab') // true
 */
export function isFleetStore(url: string): boolean {
  return /^postgres(?:ql)?:\/\//.test(url);
}

/**
 * @example const member = await joinFleet({ url: cfg.store.url, config, runtime, notifier, log, env })
 */
export async function joinFleet(deps: {
  url: string;
  config: ConfigManager;
  runtime: GuardrailsRuntime;
  notifier: WebhookNotifier;
  log: Logger;
  env: Record<string, string | undefined>;
  /** false: serves no traffic (a group's primary): no share of fault.maxActive. Default true. */
  serves?: boolean;
}): Promise<FleetMember> {
  const target = parsePostgresUrl(deps.url);
  if ('error' in target) throw new Error(`store ${deps.url}: ${target.error}`);
  const me = replicaIdentity(deps.env);
  let reported = 0;
  const db: PgDatabase = createPgDatabase(target, {
    max: 3,
    applicationName: `fieldlab-fleet ${me.replica}`,
    // Idle connections die when the server restarts or the network cuts; the tick notices on its next query.
    onError: (err) => {
      if (reported++ % 60 === 0) deps.log.warn({ err }, 'fleet database connection lost');
    },
  });
  await migratePostgres(db);
  const adapter = createRuntimeAdapter(deps.runtime, () => deps.config.current().routes);
  const t = deps.config.current().config.fleet;
  const leases = createLeases(db, me, t.lease);
  const decisionLog = createDecisionLog(db, me);
  const banditLeader = createFleetBanditLeader(leases, decisionLog);
  let ramps: ReturnType<typeof startFleetRamps> | undefined;
  let adoptBandit: ((route: string, state: unknown, seq: number) => boolean) | undefined;
  const fleet = startFleet({
    db,
    runtime: adapter.fleetRuntime,
    me,
    version: fieldlabVersion(),
    digest: () => fleetDigest(deps.config.current().config),
    notifier: deps.notifier,
    log: deps.log.child({ replica: me.replica }),
    timings: { leaseMs: t.lease, pollMs: t.poll, graceSec: Math.max(1, Math.round(t.grace / 1000)), listen: t.listen },
    serves: deps.serves ?? true,
    onLatest: (rows) => {
      if (adoptBandit) followBanditRows(rows, adoptBandit, (key, seq) => fleet.markApplied(key, seq));
      ramps?.onLatest(rows, (key, seq) => fleet.markApplied(key, seq));
    },
  });
  // The first heartbeat before this replica can be ready (a new pod of a rolling deploy gets traffic
  // as soon as it is): see Fleet.first. A tick never throws; a failed first beat is retried every second.
  await fleet.first;
  // fault.maxActive is the fleet's: each serving replica holds its part of it (faults/fleet-share.ts).
  const share = deps.serves === false ? undefined : startFleetFaultShare({ db, instance: me.instance, log: deps.log });
  // Polled twice a second besides LISTEN, so a lost NOTIFY still switches within a second.
  const faults = startFleetFaultSwitch({ db, log: deps.log, listen: t.listen, pollMs: 500 });
  deps.log.info({ replica: me.replica, instance: me.instance, store: target.display }, 'joined the fleet');
  const runtime: GuardrailsRuntime = {
    ...deps.runtime,
    manual(route, action, opts) {
      const r = deps.runtime.manual(route, action, opts);
      if (r.ok && r.decisions.length > 0)
        void fleet
          .publishManual(route, r.decisions)
          .catch((err: unknown) => deps.log.error({ err, route }, 'manual action not published to the fleet'));
      return r;
    },
  };
  return {
    fleet,
    observer: adapter.observer,
    runtime,
    faults,
    banditLeader,
    followBandits(adopt) {
      adoptBandit = adopt;
      return fleet.resync();
    },
    followRamps(follower, judge) {
      ramps = startFleetRamps({ db, leases, decisions: decisionLog, follower, judge, current: deps.config.current, log: deps.log });
      return fleet.resync();
    },
    rampJudge: () => ramps?.judge(),
    async stop() {
      await ramps?.stop();
      await banditLeader.release();
      share?.stop();
      await faults.stop();
      await fleet.stop();
      await db.close();
    },
  };
}

/**
 * The part of the config every replica must agree on: all of it but where this process listens and
 * logs (replicas on one host need their own ports). Secrets never leave the process: only a hash does.
 * @example fleetDigest(config.current().config).length // 64
 */
export function fleetDigest(config: RawConfig): string {
  const { listen: _l, admin: _a, log: _g, ...shared } = config;
  return createHash('sha256').update(JSON.stringify(shared)).digest('hex');
}

/** This package's version (heartbeats show it; replicas on different versions get a warning). */
function fieldlabVersion(): string {
  for (const rel of ['../../package.json', '../../../package.json']) {
    try {
      const pkg = JSON.parse(readFileSync(new URL(rel, import.meta.url), 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'fieldlab' && pkg.version) return pkg.version;
    } catch {
      // not at this depth (src/ under vitest, dist/src/ when built)
    }
  }
  return 'unknown';
}
