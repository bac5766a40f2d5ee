/**
 * Arm profiles on PostgreSQL (table arm_profiles, migration 11): every replica adds its minutes with
 * one UPSERT per batch (histograms summed element-wise in SQL), so a read from any replica sums the
 * fleet's profiled requests.
 */
import { mergeProfileRows, type ProfileRow } from '../profile-rows.js';
import type { PgDatabase, PgQuery } from './pool.js';
import { histAdd, jsonArray, sumBy } from './sql-sums.js';

const SUMS = ['requests', 'missing', 'calls', 'errors', 'sumSq', 'totalMs', 'latency'] as const;

/**
 * Adds a batch's profile rows inside its transaction.
 * @example await writeProfiles(db, q, batch.profiles ?? [])
 */
export async function writeProfiles(db: PgDatabase, q: PgQuery, rows: readonly ProfileRow[]): Promise<void> {
  if (rows.length === 0) return;
  const add = ['requests', 'missing', 'calls', 'errors', 'sum_sq', 'total_ms'].map((c) => `${c} = d.${c} + excluded.${c}`).join(', ');
  await q(
    `INSERT INTO ${db.t('arm_profiles')} AS d (minute, route, arm, op, requests, missing, calls, errors, sum_sq, total_ms, latency)
     SELECT minute, route, arm, op, requests, missing, calls, errors, "sumSq", "totalMs", ${jsonArray('latency')}
     FROM jsonb_to_recordset($1::jsonb) AS r(minute bigint, route text, arm text, op text, requests bigint, missing bigint,
       calls bigint, errors bigint, "sumSq" bigint, "totalMs" float8, latency jsonb)
     ON CONFLICT (minute, route, arm, op) DO UPDATE SET ${add}, latency = ${histAdd('d.latency', 'excluded.latency')}`,
    [JSON.stringify(sumBy(rows, ['minute', 'route', 'arm', 'op'], SUMS))],
  );
}

/**
 * The route's rows since `since`, summed per arm and operation.
 * @example await readProfiles(db, 'checkout', 0)
 */
export async function readProfiles(db: PgDatabase, route: string, since: number): Promise<ProfileRow[]> {
  const rows = await db.query<Omit<ProfileRow, 'latency'> & { latency: (string | number)[] }>(
    `SELECT minute, route, arm, op, requests, missing, calls, errors, sum_sq AS "sumSq", total_ms AS "totalMs", latency
     FROM ${db.t('arm_profiles')} WHERE route = $1 AND minute >= $2::bigint`,
    [route, since],
  );
  return mergeProfileRows(rows.map((r) => ({ ...r, latency: r.latency.map(Number) })));
}

/** Deletes minutes before `before`; resolves to rows deleted. */
export async function pruneProfiles(q: PgQuery, db: PgDatabase, before: number): Promise<number> {
  const [row] = await q<{ n: number }>(
    `WITH g AS (DELETE FROM ${db.t('arm_profiles')} WHERE minute < $1 RETURNING 1) SELECT count(*) AS n FROM g`,
    [before],
  );
  return row!.n;
}
