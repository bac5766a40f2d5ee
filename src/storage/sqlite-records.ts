/**
 * The SQLite RecordStore, on the same database file as the other repositories (in the store's
 * worker thread for the proxy). Caps are checked against the usage read inside the same IMMEDIATE
 * transaction as the insert, so two writers of one file cannot overshoot them together.
 */
import type BetterSqlite3 from 'better-sqlite3';
import {
  admit,
  MAX_RECORD_PAGE,
  type RecordCaps,
  type RecordedSample,
  type RecordQuery,
  type RecordStore,
  type RecordUsage,
  type StoredSample,
} from './record-types.js';
import type { Sync } from './sync.js';

interface Row {
  id: number;
  route: string;
  at: number;
  request_id: string;
  unit: string;
  bucket: number;
  arm: string;
  method: string;
  target: string;
  request_headers: string;
  request_body: string | null;
  status: number;
  response_headers: string;
  response_body: string;
  truncated: number;
  latency_ms: number;
  bytes: number;
}

/**
 * The WHERE clause and parameters of a query (shared by read and count).
 * @example where({ route: 'r', afterId: 10 }) // { sql: 'route = @route AND id > @afterId', params: { route: 'r', afterId: 10 } }
 */
function where(q: RecordQuery): { sql: string; params: Record<string, unknown> } {
  const parts = ['route = @route'];
  const params: Record<string, unknown> = { route: q.route };
  const add = (sql: string, name: string, value: unknown) => {
    parts.push(sql);
    params[name] = value;
  };
  if (q.afterId !== undefined) add('id > @afterId', 'afterId', q.afterId);
  if (q.since !== undefined) add('at >= @since', 'since', q.since);
  if (q.arm !== undefined) add('arm = @arm', 'arm', q.arm);
  if (q.method !== undefined) add('method = @method', 'method', q.method);
  if (q.buckets) {
    add('bucket >= @bFrom', 'bFrom', q.buckets[0]);
    add('bucket < @bTo', 'bTo', q.buckets[1]);
  }
  return { sql: parts.join(' AND '), params };
}

/** A stored row as the interface's sample. */
function fromRow(r: Row): StoredSample {
  return {
    id: r.id,
    route: r.route,
    at: r.at,
    requestId: r.request_id,
    unit: r.unit,
    bucket: r.bucket,
    arm: r.arm,
    method: r.method,
    target: r.target,
    requestHeaders: JSON.parse(r.request_headers) as [string, string][],
    requestBody: r.request_body,
    status: r.status,
    responseHeaders: JSON.parse(r.response_headers) as [string, string][],
    responseBody: r.response_body,
    truncated: r.truncated === 1,
    latencyMs: r.latency_ms,
    bytes: r.bytes,
  };
}

/**
 * Creates the records repository over an open, migrated database.
 * @example const r = createSqliteRecordStore(openDatabase('data/fieldlab.db'))
 */
export function createSqliteRecordStore(db: BetterSqlite3.Database): Sync<RecordStore> {
  const insert = db.prepare(
    `INSERT INTO record_samples (route, at, request_id, unit, bucket, arm, method, target, request_headers, request_body,
       status, response_headers, response_body, truncated, latency_ms, bytes)
     VALUES (@route, @at, @requestId, @unit, @bucket, @arm, @method, @target, @requestHeaders, @requestBody,
       @status, @responseHeaders, @responseBody, @truncated, @latencyMs, @bytes)`,
  );
  const usage = db.prepare<[], RecordUsage>(
    'SELECT route, count(*) AS samples, coalesce(sum(bytes), 0) AS bytes FROM record_samples GROUP BY route ORDER BY route',
  );
  const write = db.transaction((samples: readonly RecordedSample[], caps: RecordCaps) => {
    const outcomes = admit(samples, usage.all(), caps);
    samples.forEach((s, i) => {
      if (outcomes[i] !== 'stored') return;
      insert.run({
        ...s,
        requestHeaders: JSON.stringify(s.requestHeaders),
        responseHeaders: JSON.stringify(s.responseHeaders),
        truncated: s.truncated ? 1 : 0,
      });
    });
    return outcomes;
  });
  const pruneAll = db.prepare<[number]>('DELETE FROM record_samples WHERE at < ?');
  const pruneRoute = db.prepare<[number, string]>('DELETE FROM record_samples WHERE at < ? AND route = ?');
  return {
    writeRecords: (samples, caps) => write.immediate(samples, caps),
    readRecords(q) {
      const w = where(q);
      const limit = Number.isInteger(q.limit) ? Math.min(Math.max(1, q.limit!), MAX_RECORD_PAGE) : 100;
      return db
        .prepare<Record<string, unknown>, Row>(`SELECT * FROM record_samples WHERE ${w.sql} ORDER BY id LIMIT ${limit}`)
        .all(w.params)
        .map(fromRow);
    },
    countRecords(q) {
      const w = where(q);
      return db.prepare<Record<string, unknown>, number>(`SELECT count(*) FROM record_samples WHERE ${w.sql}`).pluck().get(w.params)!;
    },
    recordUsage: () => usage.all(),
    pruneRecords: (before, route) => (route === undefined ? pruneAll.run(before) : pruneRoute.run(before, route)).changes,
  };
}
