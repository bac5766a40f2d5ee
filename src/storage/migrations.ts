/**
 * Schema migrations, versioned by SQLite's `PRAGMA user_version`. Append only: a released migration
 * is never edited, because databases already at that version would never see the change.
 */
import type BetterSqlite3 from 'better-sqlite3';

/** One migration: SQL statements applied in order; migration i takes the schema to version i + 1. */
export type Migration = readonly string[];

// Shared key columns of every aggregate table: one row per hour × route × shadow × endpoint (+ detail).
const KEY = 'hour INTEGER NOT NULL, route TEXT NOT NULL, shadow TEXT NOT NULL, endpoint TEXT NOT NULL';

/**
 * Every migration this release knows. Latency histograms are stored as JSON arrays of counts (one
 * column per histogram): readable with the sqlite3 shell, and a few hundred bytes per row.
 */
export const MIGRATIONS: readonly Migration[] = [
  [
    `CREATE TABLE diff_pairs (${KEY}, count INTEGER NOT NULL,
      PRIMARY KEY (hour, route, shadow, endpoint)) WITHOUT ROWID`,
    `CREATE TABLE diff_fields (${KEY}, field TEXT NOT NULL, kind TEXT NOT NULL,
      compared INTEGER NOT NULL, differed INTEGER NOT NULL,
      PRIMARY KEY (hour, route, shadow, endpoint, field, kind)) WITHOUT ROWID`,
    `CREATE TABLE diff_noise (${KEY}, field TEXT NOT NULL, compared INTEGER NOT NULL, differed INTEGER NOT NULL,
      PRIMARY KEY (hour, route, shadow, endpoint, field)) WITHOUT ROWID`,
    `CREATE TABLE diff_statuses (${KEY}, primary_status INTEGER NOT NULL, candidate_status INTEGER NOT NULL,
      count INTEGER NOT NULL,
      PRIMARY KEY (hour, route, shadow, endpoint, primary_status, candidate_status)) WITHOUT ROWID`,
    `CREATE TABLE diff_latency (${KEY}, primary_hist TEXT NOT NULL, candidate_hist TEXT NOT NULL,
      delta_hist TEXT NOT NULL,
      PRIMARY KEY (hour, route, shadow, endpoint)) WITHOUT ROWID`,
    `CREATE TABLE diff_skips (hour INTEGER NOT NULL, route TEXT NOT NULL, shadow TEXT NOT NULL,
      reason TEXT NOT NULL, count INTEGER NOT NULL,
      PRIMARY KEY (hour, route, shadow, reason)) WITHOUT ROWID`,
    `CREATE TABLE diff_examples (id INTEGER PRIMARY KEY, ${KEY}, field TEXT NOT NULL, kind TEXT NOT NULL,
      at INTEGER NOT NULL, request_id TEXT NOT NULL, trace_id TEXT, method TEXT NOT NULL, path TEXT NOT NULL,
      primary_status INTEGER NOT NULL, candidate_status INTEGER NOT NULL,
      primary_body TEXT NOT NULL, candidate_body TEXT NOT NULL, paths TEXT NOT NULL,
      primary_latency_ms REAL NOT NULL, candidate_latency_ms REAL NOT NULL)`,
    // The per-signature cap is a count over this index (at most N rows to visit).
    'CREATE INDEX diff_examples_signature ON diff_examples (route, shadow, endpoint, field, kind)',
    // Newest-first listing, age pruning and the global cap all walk `at`.
    'CREATE INDEX diff_examples_at ON diff_examples (at)',
  ],
  // 2: guardrails — engine state per route, the decision log, per-minute arm rollups.
  [
    `CREATE TABLE guardrail_state (route TEXT PRIMARY KEY, state TEXT NOT NULL, updated_at INTEGER NOT NULL)`,
    `CREATE TABLE decisions (id INTEGER PRIMARY KEY, at INTEGER NOT NULL, route TEXT NOT NULL, arm TEXT NOT NULL,
      action TEXT NOT NULL, from_percent REAL NOT NULL, to_percent REAL NOT NULL, rule TEXT NOT NULL,
      reason TEXT NOT NULL, evidence TEXT NOT NULL, actor TEXT)`,
    'CREATE INDEX decisions_route_at ON decisions (route, at)',
    `CREATE TABLE arm_minutes (minute INTEGER NOT NULL, route TEXT NOT NULL, arm TEXT NOT NULL,
      requests INTEGER NOT NULL, bad INTEGER NOT NULL, slow INTEGER NOT NULL, latency TEXT NOT NULL,
      PRIMARY KEY (minute, route, arm)) WITHOUT ROWID`,
  ],
  // 3: the random hash seed of each route without an explicit `seed:` (routing/seeds.ts).
  ['CREATE TABLE route_seeds (route TEXT PRIMARY KEY, seed TEXT NOT NULL, created_at INTEGER NOT NULL)'],
  // 4: experiments — first exposure per unit × arm, goal events per unit × minute (storage/sqlite-experiments.ts).
  [
    `CREATE TABLE experiment_units (route TEXT NOT NULL, unit TEXT NOT NULL, arm TEXT NOT NULL,
      first_at INTEGER NOT NULL, weights TEXT NOT NULL, PRIMARY KEY (route, unit, arm)) WITHOUT ROWID`,
    'CREATE INDEX experiment_units_first_at ON experiment_units (first_at)',
    `CREATE TABLE experiment_events (route TEXT NOT NULL, goal TEXT NOT NULL, unit TEXT NOT NULL, minute INTEGER NOT NULL,
      count INTEGER NOT NULL, value REAL NOT NULL, PRIMARY KEY (route, goal, unit, minute)) WITHOUT ROWID`,
    'CREATE INDEX experiment_events_minute ON experiment_events (minute)',
  ],
  // 5: recorded requests with the primary's answers, redacted (storage/sqlite-records.ts).
  [
    `CREATE TABLE record_samples (id INTEGER PRIMARY KEY AUTOINCREMENT, route TEXT NOT NULL, at INTEGER NOT NULL,
      request_id TEXT NOT NULL, unit TEXT NOT NULL, bucket INTEGER NOT NULL, arm TEXT NOT NULL, method TEXT NOT NULL,
      target TEXT NOT NULL, request_headers TEXT NOT NULL, request_body TEXT, status INTEGER NOT NULL,
      response_headers TEXT NOT NULL, response_body TEXT NOT NULL, truncated INTEGER NOT NULL,
      latency_ms REAL NOT NULL, bytes INTEGER NOT NULL)`,
    // Replay pages walk (route, id); the cap check sums bytes per route from the same index.
    'CREATE INDEX record_samples_route ON record_samples (route, id, bytes)',
    'CREATE INDEX record_samples_at ON record_samples (at)',
  ],
  // 6: per field, the sum of paired latency deltas (shadow − primary, ms) — `trace:slower:OP` fields
  // carry it, so the report shows how much slower, not only how often (0 for every other field).
  ['ALTER TABLE diff_fields ADD COLUMN delta_ms REAL NOT NULL DEFAULT 0'],
  // 7: per `trace:slower:` field, histograms of the paired deltas (DELTA_BOUNDS) of shadow pairs
  // (noise 0) and noise pairs (noise 1): the report's p50/p95, noise-corrected.
  [
    `CREATE TABLE diff_deltas (${KEY}, field TEXT NOT NULL, noise INTEGER NOT NULL, hist TEXT NOT NULL,
      PRIMARY KEY (hour, route, shadow, endpoint, field, noise)) WITHOUT ROWID`,
  ],
  // 8: arm profiles per minute × route × arm × operation (storage/profile-rows.ts; op '' is the arm's
  // own row), so a profile survives a restart; pruned by minute with the other rollups.
  [
    `CREATE TABLE arm_profiles (minute INTEGER NOT NULL, route TEXT NOT NULL, arm TEXT NOT NULL, op TEXT NOT NULL,
      requests INTEGER NOT NULL, missing INTEGER NOT NULL, calls INTEGER NOT NULL, errors INTEGER NOT NULL,
      sum_sq INTEGER NOT NULL, total_ms REAL NOT NULL, latency TEXT NOT NULL,
      PRIMARY KEY (minute, route, arm, op)) WITHOUT ROWID`,
    'CREATE INDEX arm_profiles_route ON arm_profiles (route, minute)',
  ],
];

/** Opening a database written by a newer Fieldlab: refused rather than guessed at. */
export class StorageSchemaError extends Error {
  constructor(
    readonly file: string,
    readonly found: number,
    readonly known: number,
  ) {
    super(
      `storage ${file} has schema version ${found} but this Fieldlab knows versions up to ${known}; ` +
        'it was written by a newer release: upgrade Fieldlab, or point storage at another file',
    );
    this.name = 'StorageSchemaError';
  }
}

/** The schema version stored in the database file (0 for a new one). */
export function schemaVersion(db: BetterSqlite3.Database): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/**
 * Applies the pending migrations in one IMMEDIATE transaction (so two processes opening the same new
 * file cannot both migrate it) and returns the versions before and after. Throws StorageSchemaError
 * when the file is newer than `migrations`; a failing statement rolls back every pending migration.
 * @example migrate(db) // { from: 0, to: 1 }
 */
export function migrate(db: BetterSqlite3.Database, migrations: readonly Migration[] = MIGRATIONS): { from: number; to: number } {
  const apply = db.transaction(() => {
    const from = schemaVersion(db);
    if (from > migrations.length) throw new StorageSchemaError(db.name, from, migrations.length);
    for (let v = from; v < migrations.length; v++) {
      for (const sql of migrations[v]!) db.exec(sql);
    }
    // user_version lives in the file header, so it commits (or rolls back) with the statements.
    if (from < migrations.length) db.pragma(`user_version = ${migrations.length}`);
    return { from, to: migrations.length };
  });
  return apply.immediate();
}
