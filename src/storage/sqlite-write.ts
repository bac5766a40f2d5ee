/**
 * The write side of the SQLite store: one IMMEDIATE transaction per batch, counters added with
 * UPSERTs, latency histograms merged in JS, and at most N examples kept per signature.
 */
import type Database from 'better-sqlite3';
import type { DiffBatch, DiffExample } from './types.js';
import { addHistograms, decodeHistogram, encodeHistogram } from './histogram-codec.js';
import { createSqliteProfiles } from './sqlite-profiles.js';

const SCOPE = 'hour, route, shadow, endpoint';
const VALUES = '@hour, @route, @shadow, @endpoint';

/**
 * Prepares the write statements once and returns `write(batch)`.
 * @example const write = createSqliteWriter(db, 3); write(batch)
 */
export function createSqliteWriter(db: Database.Database, maxPerSignature: number): (batch: DiffBatch) => void {
  const pairs = db.prepare(
    `INSERT INTO diff_pairs (${SCOPE}, count) VALUES (${VALUES}, @count)
     ON CONFLICT (${SCOPE}) DO UPDATE SET count = count + excluded.count`,
  );
  const fields = db.prepare(
    `INSERT INTO diff_fields (${SCOPE}, field, kind, compared, differed, delta_ms)
     VALUES (${VALUES}, @field, @kind, @compared, @differed, @deltaMs)
     ON CONFLICT (${SCOPE}, field, kind) DO UPDATE SET
       compared = compared + excluded.compared, differed = differed + excluded.differed,
       delta_ms = delta_ms + excluded.delta_ms`,
  );
  const noise = db.prepare(
    `INSERT INTO diff_noise (${SCOPE}, field, compared, differed) VALUES (${VALUES}, @field, @compared, @differed)
     ON CONFLICT (${SCOPE}, field) DO UPDATE SET
       compared = compared + excluded.compared, differed = differed + excluded.differed`,
  );
  const statuses = db.prepare(
    `INSERT INTO diff_statuses (${SCOPE}, primary_status, candidate_status, count)
     VALUES (${VALUES}, @primary, @candidate, @count)
     ON CONFLICT (${SCOPE}, primary_status, candidate_status) DO UPDATE SET count = count + excluded.count`,
  );
  const latencyGet = db.prepare<[number, string, string, string], { p: string; c: string; d: string }>(
    `SELECT primary_hist AS p, candidate_hist AS c, delta_hist AS d FROM diff_latency
     WHERE hour = ? AND route = ? AND shadow = ? AND endpoint = ?`,
  );
  const latencyPut = db.prepare(
    `INSERT INTO diff_latency (${SCOPE}, primary_hist, candidate_hist, delta_hist) VALUES (${VALUES}, @p, @c, @d)
     ON CONFLICT (${SCOPE}) DO UPDATE SET
       primary_hist = excluded.primary_hist, candidate_hist = excluded.candidate_hist, delta_hist = excluded.delta_hist`,
  );
  const deltaGet = db
    .prepare<[number, string, string, string, string, number], string>(
      `SELECT hist FROM diff_deltas WHERE hour = ? AND route = ? AND shadow = ? AND endpoint = ? AND field = ? AND noise = ?`,
    )
    .pluck();
  const deltaPut = db.prepare(
    `INSERT INTO diff_deltas (${SCOPE}, field, noise, hist) VALUES (${VALUES}, @field, @noise, @hist)
     ON CONFLICT (${SCOPE}, field, noise) DO UPDATE SET hist = excluded.hist`,
  );
  const skips = db.prepare(
    `INSERT INTO diff_skips (hour, route, shadow, reason, count) VALUES (@hour, @route, @shadow, @reason, @count)
     ON CONFLICT (hour, route, shadow, reason) DO UPDATE SET count = count + excluded.count`,
  );
  const examplesKept = db
    .prepare<[string, string, string, string, string], number>(
      `SELECT count(*) FROM diff_examples
     WHERE route = ? AND shadow = ? AND endpoint = ? AND field = ? AND kind = ?`,
    )
    .pluck();
  const exampleInsert = db.prepare(
    `INSERT INTO diff_examples (${SCOPE}, field, kind, at, request_id, trace_id, method, path,
       primary_status, candidate_status, primary_body, candidate_body, paths, primary_latency_ms, candidate_latency_ms)
     VALUES (${VALUES}, @field, @kind, @at, @requestId, @traceId, @method, @path,
       @primaryStatus, @candidateStatus, @primaryBody, @candidateBody, @paths, @primaryLatencyMs, @candidateLatencyMs)`,
  );

  function insertExamples(list: readonly DiffExample[]): void {
    // First N seen win: later examples of a full signature are skipped after one indexed count,
    // memoized per batch so a hot signature costs one query however many examples it brings.
    const kept = new Map<string, number>();
    for (const ex of list) {
      const sig = `${ex.route}\0${ex.shadow}\0${ex.endpoint}\0${ex.field}\0${ex.kind}`;
      const n = kept.get(sig) ?? examplesKept.get(ex.route, ex.shadow, ex.endpoint, ex.field, ex.kind)!;
      if (n >= maxPerSignature) {
        kept.set(sig, n);
        continue;
      }
      exampleInsert.run({ ...ex, traceId: ex.traceId ?? null, paths: JSON.stringify(ex.paths) });
      kept.set(sig, n + 1);
    }
  }

  const profiles = createSqliteProfiles(db);
  const merge = (stored: string | undefined, add: readonly number[]) =>
    encodeHistogram(stored === undefined ? add : addHistograms(decodeHistogram(stored), add));
  const apply = db.transaction((batch: DiffBatch) => {
    for (const row of batch.pairs) pairs.run(row);
    for (const row of batch.fields) fields.run({ ...row, deltaMs: row.deltaMs ?? 0 });
    for (const row of batch.noise) noise.run(row);
    for (const row of batch.statuses) statuses.run(row);
    for (const row of batch.latency) {
      // Read-merge-write inside the transaction, so duplicate keys within one batch also add up.
      const old = latencyGet.get(row.hour, row.route, row.shadow, row.endpoint);
      latencyPut.run({ ...row, p: merge(old?.p, row.primary), c: merge(old?.c, row.candidate), d: merge(old?.d, row.delta) });
    }
    for (const row of batch.deltas ?? []) {
      const noise = row.noise ? 1 : 0;
      const old = deltaGet.get(row.hour, row.route, row.shadow, row.endpoint, row.field, noise);
      deltaPut.run({
        hour: row.hour,
        route: row.route,
        shadow: row.shadow,
        endpoint: row.endpoint,
        field: row.field,
        noise,
        hist: merge(old, row.hist),
      });
    }
    for (const row of batch.skips) skips.run(row);
    profiles.write(batch.profiles ?? []);
    insertExamples(batch.examples);
  });

  // IMMEDIATE takes the write lock up front: a deferred transaction that reads first (latency merge,
  // example counts) and then writes fails with SQLITE_BUSY at once, busy_timeout or not, if another
  // connection committed in between.
  return (batch) => apply.immediate(batch);
}
