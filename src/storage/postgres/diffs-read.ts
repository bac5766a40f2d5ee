/**
 * The read side of the PostgreSQL DiffStore: aggregate rows summed over an hour range (histograms
 * summed element-wise in SQL), and examples. Same semantics as storage/sqlite-read.ts: a row with
 * shadow '*' is route-wide and matches every shadow filter; optional filters bind NULL for "any".
 */
import type { DiffExample, DiffFilter, DiffRows } from '../types.js';
import { mergeDeltaHours, type DeltaHourRow } from '../histogram-codec.js';
import type { PgDatabase } from './pool.js';

const DEFAULT_EXAMPLES = 20;
const MAX_EXAMPLES = 1000;

// $1 since, $2 until, $3 route, $4 shadow, $5 endpoint (then $6 field, $7 limit for examples).
const MATCH = `($3::text IS NULL OR route = $3) AND ($4::text IS NULL OR shadow = $4 OR shadow = '*')`;
const WHERE = `WHERE hour >= $1::bigint AND hour <= $2::bigint AND ${MATCH} AND ($5::text IS NULL OR endpoint = $5)`;
const GROUP = 'GROUP BY route, shadow, endpoint';

/**
 * The read queries for one database.
 * @example const read = createPgDiffReader(db); await read.rows({ route: 'checkout' })
 */
export function createPgDiffReader(db: PgDatabase): {
  rows(filter: DiffFilter): Promise<DiffRows>;
  examples(filter: DiffFilter & { field?: string; limit?: number }): Promise<DiffExample[]>;
} {
  const params = (f: DiffFilter) => [
    f.since ?? Number.MIN_SAFE_INTEGER,
    f.until ?? Number.MAX_SAFE_INTEGER,
    f.route ?? null,
    f.shadow ?? null,
    f.endpoint ?? null,
  ];
  const sql = {
    pairs: `SELECT route, shadow, endpoint, sum(count) AS count FROM ${db.t('diff_pairs')} ${WHERE} ${GROUP}`,
    fields: `SELECT route, shadow, endpoint, field, kind, sum(compared) AS compared, sum(differed) AS differed,
      sum(delta_ms) AS "deltaMs" FROM ${db.t('diff_fields')} ${WHERE} ${GROUP}, field, kind`,
    noise: `SELECT route, shadow, endpoint, field, sum(compared) AS compared, sum(differed) AS differed
      FROM ${db.t('diff_noise')} ${WHERE} ${GROUP}, field`,
    statuses: `SELECT route, shadow, endpoint, primary_status AS "primary", candidate_status AS candidate, sum(count) AS count
      FROM ${db.t('diff_statuses')} ${WHERE} ${GROUP}, primary_status, candidate_status`,
    // One row per hour; summed per (route, shadow, endpoint) below, as histograms may differ in length.
    latency: `SELECT route, shadow, endpoint, primary_hist AS p, candidate_hist AS c, delta_hist AS d
      FROM ${db.t('diff_latency')} ${WHERE} ORDER BY route, shadow, endpoint, hour`,
    deltas: `SELECT route, shadow, endpoint, field, noise, hist FROM ${db.t('diff_deltas')} ${WHERE}`,
    // Skips are per route and shadow only, so the endpoint filter does not apply to them.
    skips: `SELECT route, shadow, reason, sum(count) AS count FROM ${db.t('diff_skips')}
      WHERE hour >= $1::bigint AND hour <= $2::bigint AND ${MATCH} GROUP BY route, shadow, reason`,
    examples: `SELECT hour, route, shadow, endpoint, field, kind, at, request_id AS "requestId", trace_id AS "traceId", method,
        path, primary_status AS "primaryStatus", candidate_status AS "candidateStatus", primary_body AS "primaryBody",
        candidate_body AS "candidateBody", paths, primary_latency_ms AS "primaryLatencyMs",
        candidate_latency_ms AS "candidateLatencyMs"
      FROM ${db.t('diff_examples')}
      WHERE at >= $1::bigint AND at <= $2::bigint AND ${MATCH} AND ($5::text IS NULL OR endpoint = $5)
        AND ($6::text IS NULL OR field = $6)
      ORDER BY at DESC, id DESC LIMIT $7`,
  };

  return {
    async rows(filter) {
      // Aggregates are per hour: the hour containing `since` counts (see sqlite-read.ts).
      const p = params(filter.since === undefined ? filter : { ...filter, since: filter.since - (filter.since % 3_600_000) });
      const [pairs, fields, noise, statuses, latency, skips, deltas] = await Promise.all([
        db.query<DiffRows['pairs'][number]>(sql.pairs, p),
        db.query<DiffRows['fields'][number]>(sql.fields, p),
        db.query<DiffRows['noise'][number]>(sql.noise, p),
        db.query<DiffRows['statuses'][number]>(sql.statuses, p),
        db.query<LatencyRow>(sql.latency, p),
        db.query<DiffRows['skips'][number]>(sql.skips, p.slice(0, 4)),
        db.query<Omit<DeltaHourRow, 'hist'> & { hist: readonly string[] }>(sql.deltas, p),
      ]);
      return {
        pairs,
        fields,
        noise,
        statuses,
        latency: mergeHours(latency),
        // bigint[] arrive as arrays of strings.
        deltas: mergeDeltaHours(deltas.map((r) => ({ ...r, hist: r.hist.map(Number) }))),
        skips,
      };
    },
    async examples(filter) {
      const limit = Math.min(Math.max(0, Math.floor(filter.limit ?? DEFAULT_EXAMPLES)), MAX_EXAMPLES);
      const rows = await db.query<DiffExample & { traceId: string | null }>(sql.examples, [...params(filter), filter.field ?? null, limit]);
      return rows.map((r) => ({ ...r, traceId: r.traceId ?? undefined }));
    },
  };
}

interface LatencyRow {
  route: string;
  shadow: string;
  endpoint: string;
  p: readonly string[];
  c: readonly string[];
  d: readonly string[];
}

/** Sums the hours' histograms per (route, shadow, endpoint); bigint[] arrive as arrays of strings. */
function mergeHours(rows: readonly LatencyRow[]): DiffRows['latency'][number][] {
  const out = new Map<string, DiffRows['latency'][number]>();
  const add = (into: number[], h: readonly string[]) => {
    for (let i = 0; i < h.length; i++) into[i] = (into[i] ?? 0) + Number(h[i]);
  };
  for (const r of rows) {
    const key = JSON.stringify([r.route, r.shadow, r.endpoint]);
    let seen = out.get(key);
    if (!seen) out.set(key, (seen = { route: r.route, shadow: r.shadow, endpoint: r.endpoint, primary: [], candidate: [], delta: [] }));
    add(seen.primary, r.p);
    add(seen.candidate, r.c);
    add(seen.delta, r.d);
  }
  return [...out.values()];
}
