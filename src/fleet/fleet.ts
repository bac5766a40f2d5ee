/**
 * Fleet mode: many processes on one PostgreSQL database act as one Fieldlab. Once a second each
 * replica flushes its evidence and heartbeat in one transaction, then for every guarded route tries
 * the decider lease. The decider sums the fleet's evidence up to the watermark, lets the engine
 * decide, and publishes each decision fenced by its epoch; every replica applies it on NOTIFY, on
 * its poll, and after every reconnect. A replica that cannot reach the database keeps its last
 * weights and decides alone on its own evidence, rollbacks only (see partition.ts), until the
 * database is back, when the fleet's state wins. Nothing here is on the request path: the proxy
 * never waits for the database.
 */
import type { WebhookNotifier } from '../guardrails/notify-webhook.js';
import type { Decision } from '../guardrails/types.js';
import type { PgDatabase } from '../storage/postgres/pool.js';
import type { Logger } from '../telemetry/logger.js';
import { createDecisionLog, type FleetDecision } from './decision-log.js';
import { evidenceWatermark, flushEvidence, pruneEvidence, sumEvidence, type EvidenceSecond } from './evidence-log.js';
import type { ReplicaIdentity } from './identity.js';
import { createLeases } from './leases.js';
import { startListener, type Listener } from './listener.js';
import { localDecisions } from './partition.js';
import { beat, leave, listReplicas, type ReplicaRow } from './replicas.js';
import type { FleetRuntime } from './seam.js';

/** Timings (the `fleet:` config block). */
export interface FleetTimings {
  /** Decider lease lifetime; a dead decider is replaced within about this long. */
  readonly leaseMs: number;
  /** How often every replica re-reads the newest decisions (the fallback for a lost NOTIFY). */
  readonly pollMs: number;
  /** How long the decider waits for a stalled or dead replica's evidence seconds before summing without them. */
  readonly graceSec: number;
  /** false: no LISTEN (polling only, e.g. behind a transaction-mode pooler). */
  readonly listen: boolean;
  readonly tickMs?: number;
}

/** What one replica knows about itself (and `GET /fleet` adds the database's view). */
export interface FleetLocal {
  readonly replica: string;
  readonly instance: string;
  /** Cut off from the database: serving the last weights, deciding rollbacks alone. */
  readonly partitioned: boolean;
  readonly listening: boolean;
  /** LISTEN is connected but hears no notifications (e.g. through a transaction-mode pooler): polling only. */
  readonly listenDeaf: boolean;
  readonly leads: readonly string[];
  readonly applied: Record<string, { seq: number; at: number }>;
  /** Local evidence seconds dropped because they could not be flushed in time. */
  readonly droppedSeconds: number;
}

/** A running fleet member. */
export interface Fleet {
  local(): FleetLocal;
  replicas(): Promise<ReplicaRow[]>;
  /** Fleet decisions, newest first. */
  decisions(route?: string): Promise<FleetDecision[]>;
  /** The newest decision of every route. */
  latest(): Promise<FleetDecision[]>;
  /**
   * Publishes decisions a manual action just made here (already applied locally) as a fleet
   * decision, taking the route's lease so every replica applies them and this one decides next.
   */
  publishManual(route: string, decisions: readonly Decision[]): Promise<number | undefined>;
  /** Runs one tick now (tests). */
  tick(): Promise<void>;
  /**
   * The first tick (heartbeat included), started at once: await it before reporting ready. Until its
   * row exists a replica does not hold the evidence watermark back, so the decider summed a new
   * replica's first seconds of traffic without them (seen as one replica-second missing).
   */
  readonly first: Promise<void>;
  /** Reads the newest decisions now and applies what is new (what NOTIFY and the poll do). */
  resync(): Promise<void>;
  /** Notes a decision applied outside the guardrails (a `bandit:` row), so heartbeats and `GET /fleet` show it applied. */
  markApplied(route: string, seq: number): void;
  /** Hands its leases over, leaves the fleet and closes the listener (not the database). */
  stop(): Promise<void>;
}

interface Leadership {
  epoch: number;
  /** First evidence second not yet fed to the engine. */
  cursor: number;
  lastCheckpoint: number;
}

const CHECKPOINT_EVERY_MS = 5000;
const PARTITION_AFTER_MS = 3000;
const EVIDENCE_KEEP_SEC = 900;
const MAX_PENDING = 600;

/**
 * Joins the fleet (the database must be migrated). Ticks every second until `stop`.
 * @example const fleet = startFleet({ db, runtime, me, version, digest, notifier, log, timings })
 */
export function startFleet<S>(deps: {
  db: PgDatabase;
  runtime: FleetRuntime<S>;
  me: ReplicaIdentity;
  version: string;
  digest: () => string;
  notifier: WebhookNotifier;
  log: Logger;
  timings: FleetTimings;
  /** false: this process serves no traffic (a group's primary); default true. */
  serves?: boolean;
  /** Sees every re-sync's newest rows (the bandits follow their `bandit:` rows, fleet/bandit-leader.ts). */
  onLatest?: (rows: readonly FleetDecision[]) => void;
}): Fleet {
  const { db, runtime, me, log, timings } = deps;
  const tickMs = timings.tickMs ?? 1000;
  const liveMs = Math.max(3 * tickMs, 3000);
  const leases = createLeases(db, me, timings.leaseMs);
  const decisionLog = createDecisionLog(db, me);
  const leading = new Map<string, Leadership>();
  const applied = new Map<string, { seq: number; at: number }>();
  let pending: EvidenceSecond<S>[] = [];
  let droppedSeconds = 0;
  let partitioned = false;
  let lastOk = Date.now();
  let stopped = false;

  const adoptLatest = async () => {
    const latest = await decisionLog.latest();
    deps.onLatest?.(latest);
    for (const d of latest) {
      if (!runtime.routes().includes(d.route) || d.seq <= (applied.get(d.route)?.seq ?? 0)) continue;
      runtime.adopt(d.route, d.state);
      applied.set(d.route, { seq: d.seq, at: Date.now() });
      log.info({ type: 'fleet-decision', route: d.route, seq: d.seq, decider: d.replica, weights: d.weights }, 'applied fleet decision');
    }
  };
  // One re-sync at a time; a request during one runs once more after it (a NOTIFY burst costs two reads).
  let syncing: Promise<void> | undefined;
  let again = false;
  const resync = (): Promise<void> => {
    if (syncing) {
      again = true;
      return syncing;
    }
    syncing = (async () => {
      do {
        again = false;
        await adoptLatest().catch((err: Error) => log.debug({ err }, 'fleet re-sync failed'));
      } while (again && !stopped);
      syncing = undefined;
    })();
    return syncing;
  };

  // The one webhook per fleet decision, naming the decider and the sequence number (seq null: a
  // rollback this replica made alone while cut off).
  const announce = (d: Decision, seq: number | null, epoch: number | null) => {
    const hook = runtime.webhook(d.route);
    if (hook)
      deps.notifier.notify(hook, {
        type: 'fieldlab.decision',
        ...d,
        at: new Date(d.at).toISOString(),
        fleet: { seq, epoch, replica: me.replica },
      });
  };

  const lead = async (route: string, nowMs: number, sec: number) => {
    const epoch = await leases.acquire(route);
    if (epoch === null) {
      leading.delete(route);
      return;
    }
    let l = leading.get(route);
    if (!l || l.epoch !== epoch) {
      // A new decider resumes from the checkpoint: the state and the first second not yet summed.
      const cp = await leases.checkpoint(route);
      if (cp.state) runtime.adopt(route, cp.state);
      l = { epoch, cursor: cp.through ?? sec - timings.graceSec, lastCheckpoint: nowMs };
      leading.set(route, l);
      log.info({ type: 'fleet-lead', route, epoch, from: l.cursor }, 'deciding for the fleet');
    }
    const upTo = await evidenceWatermark(db, sec, timings.graceSec, liveMs);
    if (upTo > l.cursor) {
      for (const s of await sumEvidence(db, route, l.cursor, upTo, runtime.kind.merge)) {
        const arms = Object.fromEntries(Object.entries(s.arms).filter(([, v]) => runtime.kind.valid(v)));
        runtime.feed(route, s.sec, arms);
      }
      l.cursor = upTo;
    }
    const before = runtime.state(route);
    const decisions = runtime.evaluate(route, nowMs);
    if (decisions.length === 0) {
      if (nowMs - l.lastCheckpoint >= CHECKPOINT_EVERY_MS) {
        l.lastCheckpoint = nowMs;
        if (!(await leases.saveCheckpoint(route, epoch, { state: runtime.state(route), through: l.cursor }))) leading.delete(route);
      }
      return;
    }
    let res: Awaited<ReturnType<typeof decisionLog.publish>>;
    try {
      res = await decisionLog.publish({
        route,
        epoch,
        at: nowMs,
        weights: runtime.weights(route),
        decisions,
        state: runtime.state(route),
        through: l.cursor,
      });
    } catch (err) {
      runtime.adopt(route, before);
      throw err;
    }
    if (!res.ok) {
      // Deposed between acquiring and publishing: undo, and take the fleet's state instead.
      runtime.adopt(route, before);
      leading.delete(route);
      log.warn({ type: 'fleet-fenced', route, epoch }, 'decision refused: another replica decides now');
      await resync();
      return;
    }
    applied.set(route, { seq: res.seq, at: Date.now() });
    l.lastCheckpoint = nowMs;
    runtime.apply(route, decisions);
    for (const d of decisions) announce(d, res.seq, epoch);
  };

  const tick = async () => {
    const nowMs = Date.now();
    const sec = Math.floor(nowMs / 1000);
    const local = runtime.drain(sec);
    pending.push(...local);
    if (pending.length > MAX_PENDING) {
      droppedSeconds += pending.length - MAX_PENDING;
      pending = pending.slice(-MAX_PENDING);
    }
    try {
      const flushing = pending;
      await db.tx(async (q) => {
        await flushEvidence(db, q, me, flushing);
        await beat(db, q, me, {
          version: deps.version,
          configDigest: deps.digest(),
          applied: Object.fromEntries(applied),
          leads: [...leading.keys()],
          evidenceThrough: sec,
          serves: deps.serves ?? true,
        });
      });
      pending = pending.slice(flushing.length);
      lastOk = Date.now();
      if (partitioned) {
        partitioned = false;
        log.warn({ type: 'fleet-reconnected' }, 'database reachable again: re-syncing with the fleet');
        applied.clear();
        await resync();
      }
      const routes = runtime.routes();
      for (const name of [...leading.keys()]) if (!routes.includes(name)) leading.delete(name);
      for (const route of routes) await lead(route, nowMs, sec);
      if (sec % 60 === 0 && leading.size > 0) await pruneEvidence(db, sec - EVIDENCE_KEEP_SEC);
    } catch (err) {
      leading.clear();
      if (!partitioned && Date.now() - lastOk >= PARTITION_AFTER_MS) {
        partitioned = true;
        log.warn({ type: 'fleet-partitioned', err }, 'database unreachable: keeping the last weights, deciding rollbacks alone');
      }
    }
    if (partitioned) localDecisions(runtime, local, nowMs, log, (d) => announce(d, null, null));
  };

  let running = false;
  const runTick = (): Promise<void> => {
    if (running || stopped) return Promise.resolve();
    running = true;
    return tick().finally(() => {
      running = false;
    });
  };
  const timer = setInterval(() => void runTick(), tickMs);
  timer.unref();
  // The first heartbeat at once (see `first`).
  const first = runTick();
  const poll = setInterval(() => void resync(), timings.pollMs);
  poll.unref();
  const listener: Listener | undefined = timings.listen
    ? startListener({
        db,
        channel: decisionLog.channel,
        onNotify: () => void resync(),
        onReady: () => void resync(),
        onDown: (err) => log.warn({ err }, 'fleet LISTEN connection lost; reconnecting (polling meanwhile)'),
        onDeaf: () =>
          log.warn(
            { type: 'fleet-listen-deaf' },
            'fleet LISTEN hears no notifications (a transaction-mode pooler?): decisions arrive by polling only; give LISTEN a session (server or session-mode pool) or set fleet.listen: false',
          ),
      })
    : undefined;
  void resync();

  return {
    local: () => ({
      replica: me.replica,
      instance: me.instance,
      partitioned,
      listening: listener?.connected() ?? false,
      listenDeaf: listener?.deaf() ?? false,
      leads: [...leading.keys()],
      applied: Object.fromEntries(applied),
      droppedSeconds,
    }),
    replicas: () => listReplicas(db, liveMs),
    decisions: (route) => decisionLog.recent(route === undefined ? {} : { route }),
    latest: () => decisionLog.latest(),
    async publishManual(route, decisions) {
      const nowMs = Date.now();
      const epoch = await leases.takeover(route);
      const cp = await leases.checkpoint(route);
      const cursor = cp.through ?? Math.floor(nowMs / 1000) - timings.graceSec;
      leading.set(route, { epoch, cursor, lastCheckpoint: nowMs });
      const res = await decisionLog.publish({
        route,
        epoch,
        at: nowMs,
        weights: runtime.weights(route),
        decisions,
        state: runtime.state(route),
        through: cursor,
      });
      if (!res.ok) {
        leading.delete(route);
        return undefined;
      }
      applied.set(route, { seq: res.seq, at: Date.now() });
      log.info(
        { type: 'fleet-manual', route, seq: res.seq, epoch, actions: decisions.map((d) => d.action) },
        'manual action published to the fleet',
      );
      for (const d of decisions) announce(d, res.seq, epoch);
      return res.seq;
    },
    tick,
    first,
    resync,
    markApplied(route, seq) {
      if (seq > (applied.get(route)?.seq ?? 0)) applied.set(route, { seq, at: Date.now() });
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      clearInterval(poll);
      await listener?.stop();
      await Promise.all([...leading.keys()].map((r) => leases.release(r).catch(() => undefined)));
      await leave(db, me).catch(() => undefined);
    },
  };
}
