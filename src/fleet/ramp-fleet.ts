/**
 * The sick-canary ramp on a PostgreSQL fleet: one judge per route, the replica holding the lease
 * `ramp:ROUTE` (the bandit's pattern, fleet/bandit-leader.ts). Every replica's follower runtime
 * injects the step it last adopted from the fleet decision log (NOTIFY, poll: never on the request
 * path) and writes its evidence batches (faults/ramp-relay.ts) to `ramp_evidence` once a second from
 * a bounded queue. The judge runtime reads the new rows by id once a second, absorbs them as a
 * group's primary does, and publishes each step change fenced by the lease's epoch. A new judge
 * loads the stored ramp state and resumes (`ramp-resume`); followers keep the last step meanwhile.
 */
import type { Snapshot } from '../config/compile.js';
import { parseRampBatch, type RampBatch, type RampShared } from '../faults/ramp-relay.js';
import type { RampRuntime } from '../faults/ramp-runtime.js';
import type { PgDatabase } from '../storage/postgres/pool.js';
import type { Logger } from '../telemetry/logger.js';
import type { DecisionLog, FleetDecision } from './decision-log.js';
import type { Leases } from './leases.js';

const PREFIX = 'ramp:';
/** Batches waiting for the database (about one a second per ramp): beyond, dropped and counted. */
const MAX_QUEUE = 240;
/** Rows the judge reads per tick; the rest wait for the next one. */
const READ_LIMIT = 2000;
const PRUNE_EVERY_MS = 60_000;
/** Rows older than this are deleted (the judge reads every second; a step's rows are long read). */
const KEEP = "interval '10 minutes'";

/** The fleet ramp's counters on this replica. */
export interface FleetRampStats {
  /** Batches stored, and batches dropped (queue full, or the insert failed). */
  written: number;
  dropped: number;
  /** Rows the judge read (any replica's). */
  read: number;
  /** Routes this replica judges now. */
  judging: string[];
}

/** The running fleet ramps of one replica. */
export interface FleetRamps {
  /**
   * A fleet re-sync's newest rows: the `ramp:` ones are the steps the follower adopts, then marked
   * `applied` (heartbeats and `GET /fleet` show them applied, not behind).
   */
  onLatest(rows: readonly FleetDecision[], applied: (key: string, seq: number) => void): void;
  /** The judge this replica runs now (it holds at least one `ramp:ROUTE` lease). */
  judge(): RampRuntime | undefined;
  stats(): FleetRampStats;
  stop(): Promise<void>;
}

/**
 * @example const fr = startFleetRamps({ db, leases, decisions, follower: ramps, judge: makeJudge, current: config.current, log })
 */
export function startFleetRamps(deps: {
  db: PgDatabase;
  leases: Leases;
  decisions: Pick<DecisionLog, 'publish'>;
  /** This replica's traffic-side runtime (`mode: 'follow'`). */
  follower: RampRuntime;
  /** A fresh judge runtime (`mode: 'judge'`, no timer, no level of its own) on freshly loaded stored states. */
  judge: () => Promise<RampRuntime>;
  current: () => Snapshot;
  log: Logger;
  tickMs?: number;
}): FleetRamps {
  const t = deps.db.t('ramp_evidence');
  const stats: FleetRampStats = { written: 0, dropped: 0, read: 0, judging: [] };
  let queue: RampBatch[] = [];
  let writing = false;
  let judge: RampRuntime | undefined;
  const epochs = new Map<string, number>();
  let lastId = 0;
  let attached = -1;
  let lastPrune = 0;
  let busy = false;
  let stopped = false;

  const rampRoutes = (): string[] => deps.current().routes.flatMap((r) => (r.fault?.ramp ? [r.name] : []));
  /** The judge sees only the routes whose lease this replica holds. */
  const attachJudge = (j: RampRuntime) => {
    const snap = deps.current();
    attached = snap.version;
    j.attach({ ...snap, routes: snap.routes.filter((r) => epochs.has(r.name)) });
  };

  const write = () => {
    for (const b of deps.follower.relay()) {
      if (queue.length >= MAX_QUEUE) stats.dropped++;
      else queue.push(b);
    }
    // One insert at a time: a slow database fills the queue, which then drops (never the request path).
    if (writing || queue.length === 0) return;
    const rows = queue;
    queue = [];
    writing = true;
    void deps.db
      .query(`INSERT INTO ${t} (batch) SELECT x FROM jsonb_array_elements($1::jsonb) AS x`, [JSON.stringify(rows)])
      .then(() => void (stats.written += rows.length))
      .catch((err: unknown) => {
        stats.dropped += rows.length;
        deps.log.warn({ err, batches: rows.length }, 'ramp evidence not stored (dropped and counted)');
      })
      .finally(() => void (writing = false));
  };

  /** Fenced by the lease's epoch: a deposed judge's step is refused, and it stops judging the route. */
  const publish = (route: string, shared: RampShared | null) => {
    const epoch = epochs.get(route);
    if (epoch === undefined) return;
    void deps.decisions
      .publish({ route: PREFIX + route, epoch, at: Date.now(), weights: {}, decisions: [], state: shared, through: null })
      .then((res) => {
        if (!res.ok) epochs.delete(route);
      })
      .catch((err: unknown) => deps.log.error({ err, route }, 'ramp step not published to the fleet'));
  };

  const lead = async () => {
    const before = [...epochs.keys()].join('\n');
    const routes = rampRoutes();
    for (const route of routes) {
      const epoch = await deps.leases.acquire(PREFIX + route).catch(() => null);
      if (epoch === null) epochs.delete(route);
      else epochs.set(route, epoch);
    }
    for (const route of [...epochs.keys()]) if (!routes.includes(route)) epochs.delete(route);
    if (epochs.size === 0) {
      judge = undefined;
      return;
    }
    if (!judge || [...epochs.keys()].join('\n') !== before) {
      // A new judge (or a route won or lost): load the stored state so each ramp resumes at its step,
      // and read only rows written from now on (a resumed step's evidence starts again).
      const [row] = await deps.db.query<{ id: string | null }>(`SELECT max(id) AS id FROM ${t}`);
      lastId = Number(row?.id ?? 0);
      const j = await deps.judge();
      j.onChange(publish);
      attachJudge(j);
      for (const [route, shared] of Object.entries(j.shared())) publish(route, shared);
      judge = j;
    } else if (attached !== deps.current().version) attachJudge(judge);
    const rows = await deps.db.query<{ id: string; batch: unknown }>(
      `SELECT id, batch FROM ${t} WHERE id > $1 ORDER BY id LIMIT ${READ_LIMIT}`,
      [lastId],
    );
    for (const r of rows) {
      lastId = Math.max(lastId, Number(r.id));
      stats.read++;
      // Malformed or for a route this replica does not judge: skipped (absorb counts another step's as stale).
      const b = parseRampBatch(r.batch);
      if (b && epochs.has(b.route)) judge.absorb(b);
    }
    judge.tick();
  };

  const tick = async () => {
    if (busy || stopped) return;
    busy = true;
    try {
      write();
      await lead();
      if (Date.now() - lastPrune >= PRUNE_EVERY_MS) {
        lastPrune = Date.now();
        await deps.db.query(`DELETE FROM ${t} WHERE at < now() - ${KEEP}`);
      }
    } catch (err) {
      deps.log.warn({ err }, 'fleet ramp tick failed (retried next second)');
    } finally {
      stats.judging = [...epochs.keys()];
      busy = false;
    }
  };
  const timer = setInterval(() => void tick(), deps.tickMs ?? 1000);
  timer.unref();

  return {
    onLatest(rows, applied) {
      const mine = rows.filter((d) => d.route.startsWith(PREFIX));
      if (mine.length === 0) return;
      deps.follower.adopt(Object.fromEntries(mine.map((d) => [d.route.slice(PREFIX.length), d.state])));
      for (const d of mine) applied(d.route, d.seq);
    },
    judge: () => judge,
    stats: () => ({ ...stats, judging: [...stats.judging] }),
    async stop() {
      stopped = true;
      clearInterval(timer);
      judge?.stop();
      await Promise.all([...epochs.keys()].map((r) => deps.leases.release(PREFIX + r).catch(() => undefined)));
    },
  };
}
