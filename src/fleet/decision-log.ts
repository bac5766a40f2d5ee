/**
 * Fleet decisions: the rows every replica applies. A decision row carries the decider's epoch (the
 * fence trigger rejects a stale one), the weights and engine state to adopt, and the engine's
 * decisions with their evidence. Publishing also writes the decider's checkpoint and sends a
 * NOTIFY with ids only (`{"route":…,"seq":…}`, far below the 8000-byte payload limit) — delivered
 * at commit, so a replica that hears it can always read the row. NOTIFY is a latency optimisation:
 * replicas also poll (`latest`), so a lost notification costs one poll interval, not correctness.
 */
import type { PgDatabase } from '../storage/postgres/pool.js';
import type { ReplicaIdentity } from './identity.js';

/** One fleet decision. */
export interface FleetDecision {
  /** Global, increasing: the decision sequence number named in webhooks and `GET /fleet`. */
  readonly seq: number;
  readonly route: string;
  readonly epoch: number;
  /** The deciding replica. */
  readonly replica: string;
  readonly at: number;
  /** Variant → percent after the decision. */
  readonly weights: Record<string, number>;
  /** The engine's decisions (with evidence). */
  readonly decisions: readonly unknown[];
  /** The route's engine state after the decision (what every replica adopts). */
  readonly state: unknown;
  /** When the row was committed, epoch ms (database clock). */
  readonly createdAt: number;
}

/** What a decider publishes. */
export type NewDecision = Omit<FleetDecision, 'seq' | 'replica' | 'createdAt'> & { readonly through: number | null };

/** The log, seen by one process. */
export interface DecisionLog {
  /** The channel replicas LISTEN on (one per schema, so fleets sharing a database don't hear each other). */
  readonly channel: string;
  /** Inserts, checkpoints and notifies in one transaction; `fenced` when `epoch` no longer holds the lease. */
  publish(d: NewDecision): Promise<{ ok: true; seq: number } | { ok: false; reason: 'fenced' }>;
  /** The newest decision of every route. */
  latest(): Promise<FleetDecision[]>;
  /** Decisions of `route` (or all) newest first. */
  recent(filter?: { route?: string; limit?: number }): Promise<FleetDecision[]>;
}

const COLUMNS = `seq, route, epoch, replica, at, weights, decisions, state,
  (extract(epoch FROM created_at) * 1000)::bigint AS "createdAt"`;
const FENCED = 'FL001';

/**
 * @example const log = createDecisionLog(db, me); await log.publish({ route, epoch, at, weights, decisions, state, through })
 */
export function createDecisionLog(db: PgDatabase, me: ReplicaIdentity): DecisionLog {
  const t = db.t('fleet_decisions');
  const channel = `fieldlab_${db.target.schema}`;
  return {
    channel,
    async publish(d) {
      try {
        return await db.tx(async (q) => {
          const [row] = await q<{ seq: number }>(
            `INSERT INTO ${t} (route, epoch, holder, replica, at, weights, decisions, state)
             VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb, $8::jsonb) RETURNING seq`,
            [
              d.route,
              d.epoch,
              me.instance,
              me.replica,
              d.at,
              JSON.stringify(d.weights),
              JSON.stringify(d.decisions),
              JSON.stringify(d.state),
            ],
          );
          await q(`UPDATE ${db.t('fleet_leases')} SET state = $3::jsonb, through = $4 WHERE route = $1 AND epoch = $2`, [
            d.route,
            d.epoch,
            JSON.stringify(d.state),
            d.through,
          ]);
          await q('SELECT pg_notify($1, $2)', [channel, JSON.stringify({ route: d.route, seq: row!.seq })]);
          return { ok: true as const, seq: row!.seq };
        });
      } catch (err) {
        if ((err as { code?: string }).code === FENCED) return { ok: false, reason: 'fenced' };
        throw err;
      }
    },
    latest: () => db.query<FleetDecision>(`SELECT DISTINCT ON (route) ${COLUMNS} FROM ${t} ORDER BY route, seq DESC`),
    recent: (f = {}) =>
      db.query<FleetDecision>(`SELECT ${COLUMNS} FROM ${t} WHERE ($1::text IS NULL OR route = $1) ORDER BY seq DESC LIMIT $2`, [
        f.route ?? null,
        Math.max(1, Math.min(f.limit ?? 50, 1000)),
      ]),
  };
}
