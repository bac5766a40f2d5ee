/**
 * One decider per route: a lease row with a fencing epoch. Acquiring a free or expired lease bumps
 * the epoch; renewing keeps it. Time is the database's (`now()`), so replicas' clocks don't matter.
 * The epoch fences every decision (a trigger rejects a stale one, see the migrations) and every
 * checkpoint (a conditional UPDATE), so a deposed leader — paused, partitioned, or a zombie — cannot
 * write. Works through a transaction-mode pooler (no session advisory locks).
 */
import type { PgDatabase } from '../storage/postgres/pool.js';
import type { ReplicaIdentity } from './identity.js';

/** What a decider resumes from. */
export interface Checkpoint {
  readonly state: unknown;
  /** First evidence second not yet consumed (epoch seconds); null before the first checkpoint. */
  readonly through: number | null;
}

/** A lease as `GET /fleet` shows it. */
export interface LeaseRow {
  readonly route: string;
  readonly replica: string;
  readonly instance: string;
  readonly epoch: number;
  /** Milliseconds until it expires (negative: expired). */
  readonly expiresInMs: number;
}

/** The lease table, seen by one process. */
export interface Leases {
  /** Takes or renews the lease; resolves to the epoch held, or null when another holds it. */
  acquire(route: string): Promise<number | null>;
  /**
   * Takes the lease whoever holds it, bumping the epoch (an operator's manual action wins: the
   * replica asked decides from now on, and the previous decider is fenced out).
   */
  takeover(route: string): Promise<number>;
  /** The checkpoint stored with the lease (read by a new decider). */
  checkpoint(route: string): Promise<Checkpoint>;
  /** Stores a checkpoint if `epoch` still holds the lease; false when deposed. */
  saveCheckpoint(route: string, epoch: number, cp: Checkpoint): Promise<boolean>;
  /** Expires our lease now (graceful stop), so another replica takes over at its next tick. */
  release(route: string): Promise<void>;
  list(): Promise<LeaseRow[]>;
}

/**
 * @example const leases = createLeases(db, me, 5000); const epoch = await leases.acquire('checkout')
 */
export function createLeases(db: PgDatabase, me: ReplicaIdentity, ttlMs: number): Leases {
  const t = db.t('fleet_leases');
  return {
    async acquire(route) {
      const rows = await db.query<{ epoch: number }>(
        `INSERT INTO ${t} AS l (route, holder, replica, epoch, expires_at)
         VALUES ($1, $2, $3, 1, now() + $4 * interval '1 millisecond')
         ON CONFLICT (route) DO UPDATE SET
           epoch = CASE WHEN l.holder = excluded.holder THEN l.epoch ELSE l.epoch + 1 END,
           holder = excluded.holder, replica = excluded.replica, expires_at = excluded.expires_at
         WHERE l.holder = excluded.holder OR l.expires_at <= now()
         RETURNING epoch`,
        [route, me.instance, me.replica, ttlMs],
      );
      return rows[0]?.epoch ?? null;
    },
    async takeover(route) {
      const [row] = await db.query<{ epoch: number }>(
        `INSERT INTO ${t} AS l (route, holder, replica, epoch, expires_at)
         VALUES ($1, $2, $3, 1, now() + $4 * interval '1 millisecond')
         ON CONFLICT (route) DO UPDATE SET epoch = l.epoch + 1, holder = excluded.holder, replica = excluded.replica,
           expires_at = excluded.expires_at
         RETURNING epoch`,
        [route, me.instance, me.replica, ttlMs],
      );
      return row!.epoch;
    },
    async checkpoint(route) {
      const [row] = await db.query<{ state: unknown; through: number | null }>(`SELECT state, through FROM ${t} WHERE route = $1`, [route]);
      return { state: row?.state ?? null, through: row?.through ?? null };
    },
    async saveCheckpoint(route, epoch, cp) {
      const rows = await db.query(
        `UPDATE ${t} SET state = $4::jsonb, through = $5
         WHERE route = $1 AND holder = $2 AND epoch = $3 AND expires_at > now() RETURNING 1`,
        [route, me.instance, epoch, JSON.stringify(cp.state), cp.through],
      );
      return rows.length === 1;
    },
    async release(route) {
      await db.query(`UPDATE ${t} SET expires_at = now() WHERE route = $1 AND holder = $2`, [route, me.instance]);
    },
    list: () =>
      db.query<LeaseRow>(
        `SELECT route, replica, holder AS instance, epoch,
           (extract(epoch FROM expires_at - now()) * 1000)::bigint AS "expiresInMs" FROM ${t} ORDER BY route`,
      ),
  };
}
