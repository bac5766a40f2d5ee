/**
 * The PostgreSQL RecordStore, shared by every replica: the write transaction takes an advisory lock
 * per schema, reads the usage and inserts only what fits, so replicas recording together still stop
 * at the caps. Rows go in as one jsonb_to_recordset statement per batch.
 */
import {
  admit,
  MAX_RECORD_PAGE,
  type RecordCaps,
  type RecordedSample,
  type RecordOutcome,
  type RecordQuery,
  type RecordUsage,
  type StoredSample,
} from '../record-types.js';
import type { PgDatabase } from './pool.js';

const LOCK = "SELECT pg_advisory_xact_lock(hashtext('fieldlab-record:' || $1::text))";

const COLUMNS = `id, route, at, request_id AS "requestId", unit, bucket, arm, method, target, request_headers AS "requestHeaders",
  request_body AS "requestBody", status, response_headers AS "responseHeaders", response_body AS "responseBody", truncated,
  latency_ms AS "latencyMs", bytes`;

function where(q: RecordQuery): { sql: string; params: unknown[] } {
  const params: unknown[] = [q.route];
  const parts = ['route = $1'];
  const add = (sql: string, v: unknown) => {
    params.push(v);
    parts.push(sql.replace('?', `$${params.length}`));
  };
  if (q.afterId !== undefined) add('id > ?', q.afterId);
  if (q.since !== undefined) add('at >= ?', q.since);
  if (q.arm !== undefined) add('arm = ?', q.arm);
  if (q.method !== undefined) add('method = ?', q.method);
  if (q.buckets) {
    add('bucket >= ?', q.buckets[0]);
    add('bucket < ?', q.buckets[1]);
  }
  return { sql: parts.join(' AND '), params };
}

/**
 * The repository on a migrated database.
 * @example const r = createPgRecordStore(db); await r.readRecords({ route: 'checkout', afterId: 0 })
 */
export function createPgRecordStore(db: PgDatabase) {
  const table = db.t('record_samples');
  const usage = (q: (sql: string) => Promise<RecordUsage[]>) =>
    q(`SELECT route, count(*) AS samples, coalesce(sum(bytes), 0) AS bytes FROM ${table} GROUP BY route ORDER BY route`);
  return {
    async writeRecords(samples: readonly RecordedSample[], caps: RecordCaps): Promise<RecordOutcome[]> {
      if (samples.length === 0) return [];
      return db.tx(async (q) => {
        await q(LOCK, [db.target.schema]);
        const outcomes = admit(samples, await usage((sql) => q<RecordUsage>(sql)), caps);
        const rows = samples.filter((_, i) => outcomes[i] === 'stored');
        if (rows.length > 0)
          await q(
            `INSERT INTO ${table} (route, at, request_id, unit, bucket, arm, method, target, request_headers, request_body, status,
               response_headers, response_body, truncated, latency_ms, bytes)
             SELECT route, at, "requestId", unit, bucket, arm, method, target, "requestHeaders", "requestBody", status,
               "responseHeaders", "responseBody", truncated, "latencyMs", bytes
             FROM jsonb_to_recordset($1::jsonb) AS r(route text, at bigint, "requestId" text, unit text, bucket integer, arm text,
               method text, target text, "requestHeaders" jsonb, "requestBody" text, status integer, "responseHeaders" jsonb,
               "responseBody" text, truncated boolean, "latencyMs" double precision, bytes bigint)`,
            [JSON.stringify(rows)],
          );
        return outcomes;
      });
    },
    async readRecords(q: RecordQuery): Promise<StoredSample[]> {
      const w = where(q);
      const limit = Number.isInteger(q.limit) ? Math.min(Math.max(1, q.limit!), MAX_RECORD_PAGE) : 100;
      return db.query<StoredSample>(`SELECT ${COLUMNS} FROM ${table} WHERE ${w.sql} ORDER BY id LIMIT ${limit}`, w.params);
    },
    async countRecords(q: RecordQuery): Promise<number> {
      const w = where(q);
      const [row] = await db.query<{ n: number }>(`SELECT count(*) AS n FROM ${table} WHERE ${w.sql}`, w.params);
      return row?.n ?? 0;
    },
    recordUsage: (): Promise<RecordUsage[]> => usage((sql) => db.query<RecordUsage>(sql)),
    async pruneRecords(before: number, route?: string): Promise<number> {
      const [row] = await db.query<{ n: number }>(
        `WITH g AS (DELETE FROM ${table} WHERE at < $1${route === undefined ? '' : ' AND route = $2'} RETURNING 1) SELECT count(*) AS n FROM g`,
        route === undefined ? [before] : [before, route],
      );
      return row?.n ?? 0;
    },
  };
}
