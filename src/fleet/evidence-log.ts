/**
 * Shared evidence: every replica flushes, once a second, each route's completed seconds of per-arm
 * sufficient statistics (plain counts that add up; the engine's own type). The decider reads the
 * fleet's seconds up to a watermark — the oldest `evidenceThrough` among replicas seen within the
 * grace, or `graceSec` ago, whichever is later — so it decides on seconds every replica has reported,
 * and a stalled or dead replica delays decisions by at most `graceSec`. A flush is idempotent (same key, same
 * row), so a retried flush never double-counts.
 */
import type { PgDatabase, PgQuery } from '../storage/postgres/pool.js';
import type { ReplicaIdentity } from './identity.js';

/** One route's second from one process: arm → statistics. */
export interface EvidenceSecond<S> {
  readonly route: string;
  /** Epoch seconds. */
  readonly sec: number;
  readonly arms: Record<string, S>;
}

/**
 * Writes this replica's seconds (inside the caller's transaction).
 * @example await flushEvidence(db, q, me, [{ route: 'checkout', sec, arms: { control, v2 } }])
 */
export async function flushEvidence<S>(db: PgDatabase, q: PgQuery, me: ReplicaIdentity, rows: readonly EvidenceSecond<S>[]): Promise<void> {
  if (rows.length === 0) return;
  await q(
    `INSERT INTO ${db.t('fleet_evidence')} (route, instance, second, arms)
     SELECT route, $2, sec, arms FROM jsonb_to_recordset($1::jsonb) AS r(route text, sec bigint, arms jsonb)
     ON CONFLICT (route, second, instance) DO UPDATE SET arms = excluded.arms`,
    [JSON.stringify(rows), me.instance],
  );
}

/**
 * The second before which the decider may sum: every replica seen lately has flushed it, or it is older than `graceSec`.
 * A replica counts as "seen lately" for the whole grace, not only while it is live: one whose flush
 * stalls past the liveness window (a loaded machine, a slow database) still holds the watermark until
 * the grace runs out, so the seconds it flushes late are summed, as `fleet.grace` promises. Only rows
 * older than the grace are ignored, so a dead replica delays the decider by at most the grace.
 * @example const upTo = await evidenceWatermark(db, nowSec, 3, 3000)
 */
export async function evidenceWatermark(db: PgDatabase, nowSec: number, graceSec: number, liveMs: number): Promise<number> {
  // A beat at time T carries floor(T); one more second covers that rounding.
  const holdMs = Math.max(liveMs, graceSec * 1000 + 1000);
  const [row] = await db.query<{ w: number | null }>(
    `SELECT min(evidence_through) AS w FROM ${db.t('fleet_replicas')} WHERE last_seen > now() - $1 * interval '1 millisecond'`,
    [holdMs],
  );
  return Math.min(nowSec, Math.max(row?.w ?? nowSec, nowSec - graceSec));
}

/**
 * The fleet's seconds of `route` in [from, to), each summed over replicas with `merge`, oldest first.
 * @example for (const s of await sumEvidence(db, 'checkout', from, to, mergeArmSecond)) engine.recordSecond(s.sec, s.arms)
 */
export async function sumEvidence<S>(
  db: PgDatabase,
  route: string,
  from: number,
  to: number,
  merge: (a: S, b: S) => S,
): Promise<{ sec: number; arms: Record<string, S>; replicas: number }[]> {
  const rows = await db.query<{ second: number; arms: Record<string, S> }>(
    `SELECT second, arms FROM ${db.t('fleet_evidence')} WHERE route = $1 AND second >= $2 AND second < $3 ORDER BY second, instance`,
    [route, from, to],
  );
  const out: { sec: number; arms: Record<string, S>; replicas: number }[] = [];
  for (const r of rows) {
    let last = out[out.length - 1];
    if (!last || last.sec !== r.second) out.push((last = { sec: r.second, arms: {}, replicas: 0 }));
    last.replicas++;
    for (const [arm, s] of Object.entries(r.arms)) last.arms[arm] = last.arms[arm] === undefined ? s : merge(last.arms[arm]!, s);
  }
  return out;
}

/**
 * Deletes evidence older than `beforeSec` (a decider resumes from its checkpoint, a few seconds back).
 * @example await pruneEvidence(db, nowSec - 600)
 */
export async function pruneEvidence(db: PgDatabase, beforeSec: number): Promise<void> {
  await db.query(`DELETE FROM ${db.t('fleet_evidence')} WHERE second < $1`, [beforeSec]);
}
