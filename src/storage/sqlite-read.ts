/**
 * The read side of the SQLite store: aggregate rows summed over an hour range, and examples.
 * A row stored with shadow '*' is route-wide (noise learned from repeated primary responses) and
 * matches every shadow filter.
 */
import type Database from 'better-sqlite3';
import type { DiffExample, DiffFilter, DiffRows } from './types.js';
import { addHistograms, decodeHistogram, mergeDeltaHours } from './histogram-codec.js';

type Params = Record<'since' | 'until' | 'route' | 'shadow' | 'endpoint' | 'field', number | string | null>;

// Optional filters bind NULL to mean "any", so one prepared statement serves every filter shape.
const MATCH = `(@route IS NULL OR route = @route)
  AND (@shadow IS NULL OR shadow = @shadow OR shadow = '*')`;
const WHERE = `WHERE hour >= @since AND hour <= @until AND ${MATCH} AND (@endpoint IS NULL OR endpoint = @endpoint)`;
const GROUP = 'GROUP BY route, shadow, endpoint';

const DEFAULT_EXAMPLES = 20;
const MAX_EXAMPLES = 1000;

function params(filter: DiffFilter & { field?: string }): Params {
  return {
    since: filter.since ?? Number.MIN_SAFE_INTEGER,
    until: filter.until ?? Number.MAX_SAFE_INTEGER,
    route: filter.route ?? null,
    shadow: filter.shadow ?? null,
    endpoint: filter.endpoint ?? null,
    field: filter.field ?? null,
  };
}

interface ExampleRow extends Omit<DiffExample, 'traceId' | 'paths'> {
  traceId: string | null;
  paths: string;
}

/**
 * Prepares the read statements once and returns `rows` and `examples` for the store.
 * @example const read = createSqliteReader(db); read.rows({ route: 'checkout', since: hourAgo })
 */
export function createSqliteReader(db: Database.Database): {
  rows(filter: DiffFilter): DiffRows;
  examples(filter: DiffFilter & { field?: string; limit?: number }): DiffExample[];
} {
  const pairs = db.prepare<Params, DiffRows['pairs'][number]>(
    `SELECT route, shadow, endpoint, SUM(count) AS count FROM diff_pairs ${WHERE} ${GROUP}`,
  );
  const fields = db.prepare<Params, DiffRows['fields'][number]>(
    `SELECT route, shadow, endpoint, field, kind, SUM(compared) AS compared, SUM(differed) AS differed,
       SUM(delta_ms) AS deltaMs
     FROM diff_fields ${WHERE} ${GROUP}, field, kind`,
  );
  const noise = db.prepare<Params, DiffRows['noise'][number]>(
    `SELECT route, shadow, endpoint, field, SUM(compared) AS compared, SUM(differed) AS differed
     FROM diff_noise ${WHERE} ${GROUP}, field`,
  );
  const statuses = db.prepare<Params, DiffRows['statuses'][number]>(
    `SELECT route, shadow, endpoint, primary_status AS "primary", candidate_status AS candidate, SUM(count) AS count
     FROM diff_statuses ${WHERE} ${GROUP}, primary_status, candidate_status`,
  );
  const latency = db.prepare<Params, { route: string; shadow: string; endpoint: string; p: string; c: string; d: string }>(
    `SELECT route, shadow, endpoint, primary_hist AS p, candidate_hist AS c, delta_hist AS d
     FROM diff_latency ${WHERE} ORDER BY route, shadow, endpoint`,
  );
  const deltas = db.prepare<Params, { route: string; shadow: string; endpoint: string; field: string; noise: number; h: string }>(
    `SELECT route, shadow, endpoint, field, noise, hist AS h FROM diff_deltas ${WHERE}`,
  );
  // Skips are per route and shadow only, so the endpoint filter does not apply to them.
  const skips = db.prepare<Params, DiffRows['skips'][number]>(
    `SELECT route, shadow, reason, SUM(count) AS count FROM diff_skips
     WHERE hour >= @since AND hour <= @until AND ${MATCH} GROUP BY route, shadow, reason`,
  );
  const examples = db.prepare<Params & { limit: number }, ExampleRow>(
    `SELECT hour, route, shadow, endpoint, field, kind, at, request_id AS requestId, trace_id AS traceId, method,
       path, primary_status AS primaryStatus, candidate_status AS candidateStatus, primary_body AS primaryBody,
       candidate_body AS candidateBody, paths, primary_latency_ms AS primaryLatencyMs,
       candidate_latency_ms AS candidateLatencyMs
     FROM diff_examples
     WHERE at >= @since AND at <= @until AND ${MATCH} AND (@endpoint IS NULL OR endpoint = @endpoint)
       AND (@field IS NULL OR field = @field)
     ORDER BY at DESC, id DESC LIMIT @limit`,
  );

  function mergedLatency(p: Params): DiffRows['latency'][number][] {
    // One row per hour comes back; sum the hours per (route, shadow, endpoint) element-wise.
    const out = new Map<string, DiffRows['latency'][number]>();
    for (const r of latency.iterate(p)) {
      const key = `${r.route}\0${r.shadow}\0${r.endpoint}`;
      const seen = out.get(key);
      const [pr, ca, de] = [decodeHistogram(r.p), decodeHistogram(r.c), decodeHistogram(r.d)];
      if (!seen) {
        out.set(key, { route: r.route, shadow: r.shadow, endpoint: r.endpoint, primary: pr, candidate: ca, delta: de });
        continue;
      }
      seen.primary = addHistograms(seen.primary, pr);
      seen.candidate = addHistograms(seen.candidate, ca);
      seen.delta = addHistograms(seen.delta, de);
    }
    return [...out.values()];
  }

  return {
    rows(filter) {
      // Aggregates are per hour: the hour that contains `since` is partly inside the window, so it
      // counts (rounding down), rather than dropping the newest minutes of a `--since 1h` report.
      const p = params(filter.since === undefined ? filter : { ...filter, since: filter.since - (filter.since % 3_600_000) });
      return {
        pairs: pairs.all(p),
        fields: fields.all(p),
        noise: noise.all(p),
        statuses: statuses.all(p),
        latency: mergedLatency(p),
        deltas: mergeDeltaHours([...deltas.iterate(p)].map((r) => ({ ...r, noise: r.noise === 1, hist: decodeHistogram(r.h) }))),
        skips: skips.all(p),
      };
    },
    examples(filter) {
      const limit = Math.min(Math.max(0, Math.floor(filter.limit ?? DEFAULT_EXAMPLES)), MAX_EXAMPLES);
      return examples.all({ ...params(filter), limit }).map((r) => ({
        ...r,
        traceId: r.traceId ?? undefined,
        paths: JSON.parse(r.paths) as string[],
      }));
    },
  };
}
