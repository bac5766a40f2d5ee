/**
 * The write side of the PostgreSQL DiffStore: one transaction per batch, each table's rows sent as
 * one JSON parameter (one round trip per table, not per row) and added with UPSERTs, latency
 * histograms merged element-wise in SQL, at most N examples kept per signature. Several replicas
 * write the same keys concurrently; the UPSERTs add atomically, and the example cap is exact because
 * writers of one schema take turns on a transaction-scoped advisory lock while counting.
 */
import type { DiffBatch, DiffExample } from '../types.js';
import type { PgDatabase, PgQuery } from './pool.js';
import { writeProfiles } from './profiles.js';
import { histAdd, jsonArray, sumBy } from './sql-sums.js';

export { sumBy } from './sql-sums.js';

const SCOPE = ['hour', 'route', 'shadow', 'endpoint'] as const;
const SCOPE_COLS = 'hour bigint, route text, shadow text, endpoint text';

/** An UPSERT of `cols` from a JSON array parameter, adding `sums` on conflict. */
function upsert(t: string, cols: string, key: readonly string[], sums: readonly string[], source = '*'): string {
  const names = cols.split(',').map((c) => c.trim().split(' ')[0]!);
  const add = sums.map((s) => `${s} = d.${s} + excluded.${s}`).join(', ');
  return `INSERT INTO ${t} AS d (${names.join(', ')}) SELECT ${source} FROM jsonb_to_recordset($1::jsonb) AS r(${cols})
    ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${add}`;
}

/**
 * Builds `write(batch)` for one database.
 * @example const write = createPgDiffWriter(db, 3); await write(batch)
 */
export function createPgDiffWriter(db: PgDatabase, maxPerSignature: number): (batch: DiffBatch) => Promise<void> {
  const s = [...SCOPE];
  const sql = {
    pairs: upsert(db.t('diff_pairs'), `${SCOPE_COLS}, count bigint`, s, ['count']),
    fields: upsert(
      db.t('diff_fields'),
      `${SCOPE_COLS}, field text, kind text, compared bigint, differed bigint, delta_ms float8`,
      [...s, 'field', 'kind'],
      ['compared', 'differed', 'delta_ms'],
    ),
    noise: upsert(
      db.t('diff_noise'),
      `${SCOPE_COLS}, field text, compared bigint, differed bigint`,
      [...s, 'field'],
      ['compared', 'differed'],
    ),
    statuses: upsert(
      db.t('diff_statuses'),
      `${SCOPE_COLS}, primary_status int, candidate_status int, count bigint`,
      [...s, 'primary_status', 'candidate_status'],
      ['count'],
    ),
    skips: upsert(
      db.t('diff_skips'),
      'hour bigint, route text, shadow text, reason text, count bigint',
      ['hour', 'route', 'shadow', 'reason'],
      ['count'],
    ),
    latency: `INSERT INTO ${db.t('diff_latency')} AS d (hour, route, shadow, endpoint, primary_hist, candidate_hist, delta_hist)
      SELECT hour, route, shadow, endpoint, ${jsonArray('p')}, ${jsonArray('c')}, ${jsonArray('dl')}
      FROM jsonb_to_recordset($1::jsonb) AS r(${SCOPE_COLS}, p jsonb, c jsonb, dl jsonb)
      ON CONFLICT (hour, route, shadow, endpoint) DO UPDATE SET
        primary_hist = ${histAdd('d.primary_hist', 'excluded.primary_hist')},
        candidate_hist = ${histAdd('d.candidate_hist', 'excluded.candidate_hist')},
        delta_hist = ${histAdd('d.delta_hist', 'excluded.delta_hist')}`,
    deltas: `INSERT INTO ${db.t('diff_deltas')} AS d (hour, route, shadow, endpoint, field, noise, hist)
      SELECT hour, route, shadow, endpoint, field, noise, ${jsonArray('h')}
      FROM jsonb_to_recordset($1::jsonb) AS r(${SCOPE_COLS}, field text, noise boolean, h jsonb)
      ON CONFLICT (hour, route, shadow, endpoint, field, noise) DO UPDATE SET hist = ${histAdd('d.hist', 'excluded.hist')}`,
  };

  const examples = async (q: PgQuery, list: readonly DiffExample[]) => {
    if (list.length === 0) return;
    await q("SELECT pg_advisory_xact_lock(hashtext('fieldlab-examples:' || $1::text))", [db.target.schema]);
    const sig = (e: { route: string; shadow: string; endpoint: string; field: string; kind: string }) =>
      JSON.stringify([e.route, e.shadow, e.endpoint, e.field, e.kind]);
    const wanted = [...new Map(list.map((e) => [sig(e), e])).values()].map(({ route, shadow, endpoint, field, kind }) => ({
      route,
      shadow,
      endpoint,
      field,
      kind,
    }));
    const counts = await q<{ route: string; shadow: string; endpoint: string; field: string; kind: string; n: number }>(
      `SELECT e.route, e.shadow, e.endpoint, e.field, e.kind, count(*) AS n FROM ${db.t('diff_examples')} e
       JOIN jsonb_to_recordset($1::jsonb) AS w(route text, shadow text, endpoint text, field text, kind text)
         USING (route, shadow, endpoint, field, kind)
       GROUP BY 1, 2, 3, 4, 5`,
      [JSON.stringify(wanted)],
    );
    const kept = new Map(counts.map((c) => [sig(c), c.n]));
    // First N seen win, as in SQLite: later examples of a full signature are dropped.
    const accepted = list.filter((e) => {
      const n = kept.get(sig(e)) ?? 0;
      if (n >= maxPerSignature) return false;
      kept.set(sig(e), n + 1);
      return true;
    });
    await q(
      `INSERT INTO ${db.t('diff_examples')} (hour, route, shadow, endpoint, field, kind, at, request_id, trace_id, method, path,
         primary_status, candidate_status, primary_body, candidate_body, paths, primary_latency_ms, candidate_latency_ms)
       SELECT hour, route, shadow, endpoint, field, kind, at, "requestId", "traceId", method, path, "primaryStatus",
         "candidateStatus", "primaryBody", "candidateBody", paths, "primaryLatencyMs", "candidateLatencyMs"
       FROM jsonb_to_recordset($1::jsonb) AS r(${SCOPE_COLS}, field text, kind text, at bigint, "requestId" text,
         "traceId" text, method text, path text, "primaryStatus" int, "candidateStatus" int, "primaryBody" text,
         "candidateBody" text, paths jsonb, "primaryLatencyMs" float8, "candidateLatencyMs" float8)`,
      [JSON.stringify(accepted.map((e) => ({ ...e, traceId: e.traceId ?? null })))],
    );
  };

  return (batch) =>
    db.tx(async (q) => {
      const put = async (stmt: string, rows: readonly object[]) => {
        if (rows.length > 0) await q(stmt, [JSON.stringify(rows)]);
      };
      await put(sql.pairs, sumBy(batch.pairs, SCOPE, ['count']));
      await put(
        sql.fields,
        sumBy(
          batch.fields.map(({ deltaMs, ...r }) => ({ ...r, delta_ms: deltaMs ?? 0 })),
          [...SCOPE, 'field', 'kind'],
          ['compared', 'differed', 'delta_ms'],
        ),
      );
      await put(sql.noise, sumBy(batch.noise, [...SCOPE, 'field'], ['compared', 'differed']));
      await put(
        sql.statuses,
        sumBy(batch.statuses, [...SCOPE, 'primary', 'candidate'], ['count']).map(({ primary, candidate, ...r }) => ({
          ...r,
          primary_status: primary,
          candidate_status: candidate,
        })),
      );
      await put(
        sql.latency,
        sumBy(batch.latency, SCOPE, ['primary', 'candidate', 'delta']).map(({ primary, candidate, delta, ...r }) => ({
          ...r,
          p: primary,
          c: candidate,
          dl: delta,
        })),
      );
      await put(
        sql.deltas,
        sumBy(batch.deltas ?? [], [...SCOPE, 'field', 'noise'], ['hist']).map(({ hist, ...r }) => ({ ...r, h: hist })),
      );
      await put(sql.skips, sumBy(batch.skips, ['hour', 'route', 'shadow', 'reason'], ['count']));
      await writeProfiles(db, q, batch.profiles ?? []);
      await examples(q, batch.examples);
    });
}
