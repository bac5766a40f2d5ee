/**
 * Heartbeats: each replica upserts its row every tick (id, version, config digest, the decision it
 * has applied per route, which routes it decides, and how far its evidence is flushed). `live` is
 * judged on the database clock, so a replica's own clock skew cannot make it look alive.
 */
import type { PgDatabase, PgQuery } from '../storage/postgres/pool.js';
import type { ReplicaIdentity } from './identity.js';

/** What a replica reports about itself. */
export interface Heartbeat {
  readonly version: string;
  readonly configDigest: string;
  /** Route → the decision applied: its sequence number and when this replica applied it (epoch ms). */
  readonly applied: Record<string, { seq: number; at: number }>;
  /** Routes this replica decides now. */
  readonly leads: readonly string[];
  /** Every evidence second before this one is flushed (epoch seconds). */
  readonly evidenceThrough: number;
  /** Serves traffic (default true; false for the primary of a `workers: N` group): takes a share of fault.maxActive. */
  readonly serves?: boolean;
}

/** A replica as `GET /fleet` shows it. */
export interface ReplicaRow extends Heartbeat {
  readonly replica: string;
  readonly instance: string;
  readonly host: string;
  readonly pid: number;
  readonly startedAt: number;
  readonly lastSeenMsAgo: number;
  readonly live: boolean;
}

/**
 * Upserts this replica's heartbeat (inside the caller's transaction when `q` is given).
 * @example await beat(db, db.query, me, { version, configDigest, applied, leads: [], evidenceThrough })
 */
export async function beat(db: PgDatabase, q: PgQuery, me: ReplicaIdentity, hb: Heartbeat): Promise<void> {
  await q(
    `INSERT INTO ${db.t('fleet_replicas')} (instance, replica, host, pid, version, config_digest, applied, evidence_through,
       leads, serves, started_at, last_seen)
     VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9::jsonb, $10, now(), now())
     ON CONFLICT (instance) DO UPDATE SET version = excluded.version, config_digest = excluded.config_digest,
       applied = excluded.applied, evidence_through = excluded.evidence_through, leads = excluded.leads,
       serves = excluded.serves, last_seen = now()`,
    [
      me.instance,
      me.replica,
      me.host,
      me.pid,
      hb.version,
      hb.configDigest,
      JSON.stringify(hb.applied),
      hb.evidenceThrough,
      JSON.stringify(hb.leads),
      hb.serves ?? true,
    ],
  );
}

/**
 * Every replica seen within `keepMs`; `live` = seen within `liveMs`.
 * @example (await listReplicas(db, 10_000)).filter((r) => r.live)
 */
export function listReplicas(db: PgDatabase, liveMs: number, keepMs = 3_600_000): Promise<ReplicaRow[]> {
  return db.query<ReplicaRow>(
    `SELECT replica, instance, host, pid, version, config_digest AS "configDigest", applied, leads,
       evidence_through AS "evidenceThrough", (extract(epoch FROM started_at) * 1000)::bigint AS "startedAt",
       (extract(epoch FROM now() - last_seen) * 1000)::bigint AS "lastSeenMsAgo",
       last_seen > now() - $1 * interval '1 millisecond' AS live
     FROM ${db.t('fleet_replicas')} WHERE last_seen > now() - $2 * interval '1 millisecond' ORDER BY replica, instance`,
    [liveMs, keepMs],
  );
}

/**
 * The instances of the live replicas that serve traffic, in instance order (fault.maxActive shares).
 * @example await liveServing(db, 3000) // ['edge-0#1a2b…', 'edge-1#3c4d…']
 */
export async function liveServing(db: PgDatabase, liveMs: number): Promise<string[]> {
  const rows = await db.query<{ instance: string }>(
    `SELECT instance FROM ${db.t('fleet_replicas')}
     WHERE serves AND last_seen > now() - $1 * interval '1 millisecond' ORDER BY instance`,
    [liveMs],
  );
  return rows.map((r) => r.instance);
}

/**
 * Forgets this replica (graceful stop): it no longer holds back the evidence watermark.
 * @example await leave(db, me)
 */
export async function leave(db: PgDatabase, me: ReplicaIdentity): Promise<void> {
  await db.query(`DELETE FROM ${db.t('fleet_replicas')} WHERE instance = $1`, [me.instance]);
}
