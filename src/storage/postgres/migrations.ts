/**
 * PostgreSQL schema migrations, versioned in Fieldlab's own table `<schema>.fieldlab_migrations`
 * (one row per applied version). Append only, like the SQLite ones: a released migration is never
 * edited, because databases already at that version would never see the change. Every name is
 * schema-qualified; histograms are `bigint[]` so concurrent replicas merge them in SQL, atomically.
 */
import { StorageSchemaError } from '../migrations.js';
import type { PgDatabase, PgQuery } from './pool.js';

/** One migration: statements built for a schema-qualifier `t` ("schema".name). */
export type PgMigration = (t: (name: string) => string) => readonly string[];

const KEY = 'hour BIGINT NOT NULL, route TEXT NOT NULL, shadow TEXT NOT NULL, endpoint TEXT NOT NULL';

/** Every migration this release knows; migration i takes the schema to version i + 1. */
export const PG_MIGRATIONS: readonly PgMigration[] = [
  // 1: shadow diffs (the same tables as SQLite's migration 1).
  (t) => [
    `CREATE TABLE ${t('diff_pairs')} (${KEY}, count BIGINT NOT NULL, PRIMARY KEY (hour, route, shadow, endpoint))`,
    `CREATE TABLE ${t('diff_fields')} (${KEY}, field TEXT NOT NULL, kind TEXT NOT NULL,
      compared BIGINT NOT NULL, differed BIGINT NOT NULL, PRIMARY KEY (hour, route, shadow, endpoint, field, kind))`,
    `CREATE TABLE ${t('diff_noise')} (${KEY}, field TEXT NOT NULL, compared BIGINT NOT NULL, differed BIGINT NOT NULL,
      PRIMARY KEY (hour, route, shadow, endpoint, field))`,
    `CREATE TABLE ${t('diff_statuses')} (${KEY}, primary_status INTEGER NOT NULL, candidate_status INTEGER NOT NULL,
      count BIGINT NOT NULL, PRIMARY KEY (hour, route, shadow, endpoint, primary_status, candidate_status))`,
    `CREATE TABLE ${t('diff_latency')} (${KEY}, primary_hist BIGINT[] NOT NULL, candidate_hist BIGINT[] NOT NULL,
      delta_hist BIGINT[] NOT NULL, PRIMARY KEY (hour, route, shadow, endpoint))`,
    `CREATE TABLE ${t('diff_skips')} (hour BIGINT NOT NULL, route TEXT NOT NULL, shadow TEXT NOT NULL,
      reason TEXT NOT NULL, count BIGINT NOT NULL, PRIMARY KEY (hour, route, shadow, reason))`,
    `CREATE TABLE ${t('diff_examples')} (id BIGSERIAL PRIMARY KEY, ${KEY}, field TEXT NOT NULL, kind TEXT NOT NULL,
      at BIGINT NOT NULL, request_id TEXT NOT NULL, trace_id TEXT, method TEXT NOT NULL, path TEXT NOT NULL,
      primary_status INTEGER NOT NULL, candidate_status INTEGER NOT NULL, primary_body TEXT NOT NULL,
      candidate_body TEXT NOT NULL, paths JSONB NOT NULL, primary_latency_ms DOUBLE PRECISION NOT NULL,
      candidate_latency_ms DOUBLE PRECISION NOT NULL)`,
    `CREATE INDEX diff_examples_signature ON ${t('diff_examples')} (route, shadow, endpoint, field, kind)`,
    `CREATE INDEX diff_examples_at ON ${t('diff_examples')} (at)`,
  ],
  // 2: guardrails — engine state per route, the decision log, per-minute arm rollups.
  (t) => [
    `CREATE TABLE ${t('guardrail_state')} (route TEXT PRIMARY KEY, state JSONB NOT NULL, updated_at BIGINT NOT NULL)`,
    `CREATE TABLE ${t('decisions')} (id BIGSERIAL PRIMARY KEY, at BIGINT NOT NULL, route TEXT NOT NULL, arm TEXT NOT NULL,
      action TEXT NOT NULL, from_percent DOUBLE PRECISION NOT NULL, to_percent DOUBLE PRECISION NOT NULL,
      rule TEXT NOT NULL, reason TEXT NOT NULL, evidence JSONB NOT NULL, actor TEXT)`,
    `CREATE INDEX decisions_route_at ON ${t('decisions')} (route, at)`,
    `CREATE TABLE ${t('arm_minutes')} (minute BIGINT NOT NULL, route TEXT NOT NULL, arm TEXT NOT NULL,
      requests BIGINT NOT NULL, bad BIGINT NOT NULL, slow BIGINT NOT NULL, latency BIGINT[] NOT NULL,
      PRIMARY KEY (minute, route, arm))`,
  ],
  // 3: the fleet — decider leases with fencing epochs, fenced decisions, replica heartbeats, and
  // per-second evidence of every replica.
  (t) => [
    `CREATE TABLE ${t('fleet_leases')} (route TEXT PRIMARY KEY, holder TEXT NOT NULL, replica TEXT NOT NULL,
      epoch BIGINT NOT NULL, expires_at TIMESTAMPTZ NOT NULL)`,
    `CREATE TABLE ${t('fleet_decisions')} (seq BIGSERIAL PRIMARY KEY, route TEXT NOT NULL, epoch BIGINT NOT NULL,
      holder TEXT NOT NULL, replica TEXT NOT NULL, at BIGINT NOT NULL, weights JSONB NOT NULL,
      decisions JSONB NOT NULL, state JSONB, created_at TIMESTAMPTZ NOT NULL DEFAULT now())`,
    `CREATE INDEX fleet_decisions_route ON ${t('fleet_decisions')} (route, seq)`,
    // Fencing, in the database: a decision is accepted only from the current, unexpired lease holder
    // with the lease's epoch. The lease row is locked (FOR SHARE), so a takeover that commits first
    // makes this insert fail, and one that starts later waits for it. A deposed leader cannot write.
    `CREATE FUNCTION ${t('fleet_fence')}() RETURNS trigger LANGUAGE plpgsql AS $$
     DECLARE l RECORD;
     BEGIN
       EXECUTE format('SELECT holder, epoch, expires_at FROM %I.fleet_leases WHERE route = $1 FOR SHARE', TG_TABLE_SCHEMA)
         INTO l USING NEW.route;
       IF l IS NULL OR l.epoch <> NEW.epoch OR l.holder <> NEW.holder OR l.expires_at <= now() THEN
         RAISE EXCEPTION 'fieldlab: stale decider epoch % for route %', NEW.epoch, NEW.route USING ERRCODE = 'FL001';
       END IF;
       RETURN NEW;
     END $$`,
    `CREATE TRIGGER fleet_decisions_fence BEFORE INSERT ON ${t('fleet_decisions')}
      FOR EACH ROW EXECUTE FUNCTION ${t('fleet_fence')}()`,
    `CREATE TABLE ${t('fleet_replicas')} (instance TEXT PRIMARY KEY, replica TEXT NOT NULL, host TEXT NOT NULL,
      pid INTEGER NOT NULL, version TEXT NOT NULL, config_digest TEXT NOT NULL, applied JSONB NOT NULL,
      evidence_through BIGINT NOT NULL, leads JSONB NOT NULL, started_at TIMESTAMPTZ NOT NULL,
      last_seen TIMESTAMPTZ NOT NULL)`,
    `CREATE TABLE ${t('fleet_evidence')} (route TEXT NOT NULL, instance TEXT NOT NULL, second BIGINT NOT NULL,
      arms JSONB NOT NULL, PRIMARY KEY (route, second, instance))`,
  ],
  // 4: the decider's checkpoint on its lease: the engine state and the first evidence second not yet
  // consumed, written atomically with each decision, so a new decider resumes without losing or
  // double-counting a second.
  (t) => [
    `ALTER TABLE ${t('fleet_leases')} ADD COLUMN state JSONB, ADD COLUMN through BIGINT`,
    `CREATE INDEX fleet_evidence_instance ON ${t('fleet_evidence')} (instance, second)`,
  ],
  // 5: unguessable sticky seeds per route, claimed once for the whole fleet (first writer wins).
  (t) => [`CREATE TABLE ${t('route_seeds')} (route TEXT PRIMARY KEY, seed TEXT NOT NULL, created_at BIGINT NOT NULL)`],
  // 6: experiments — first exposure per unit × arm, goal events per unit × minute (postgres/experiments.ts).
  (t) => [
    `CREATE TABLE ${t('experiment_units')} (route TEXT NOT NULL, unit TEXT NOT NULL, arm TEXT NOT NULL,
      first_at BIGINT NOT NULL, weights TEXT NOT NULL, PRIMARY KEY (route, unit, arm))`,
    `CREATE INDEX experiment_units_first_at ON ${t('experiment_units')} (first_at)`,
    `CREATE TABLE ${t('experiment_events')} (route TEXT NOT NULL, goal TEXT NOT NULL, unit TEXT NOT NULL, minute BIGINT NOT NULL,
      count BIGINT NOT NULL, value DOUBLE PRECISION NOT NULL, PRIMARY KEY (route, goal, unit, minute))`,
    `CREATE INDEX experiment_events_minute ON ${t('experiment_events')} (minute)`,
  ],
  // 7: recorded requests with the primary's answers, redacted (postgres/records.ts).
  (t) => [
    `CREATE TABLE ${t('record_samples')} (id BIGSERIAL PRIMARY KEY, route TEXT NOT NULL, at BIGINT NOT NULL,
      request_id TEXT NOT NULL, unit TEXT NOT NULL, bucket INTEGER NOT NULL, arm TEXT NOT NULL, method TEXT NOT NULL,
      target TEXT NOT NULL, request_headers JSONB NOT NULL, request_body TEXT, status INTEGER NOT NULL,
      response_headers JSONB NOT NULL, response_body TEXT NOT NULL, truncated BOOLEAN NOT NULL,
      latency_ms DOUBLE PRECISION NOT NULL, bytes BIGINT NOT NULL)`,
    `CREATE INDEX record_samples_route ON ${t('record_samples')} (route, id) INCLUDE (bytes)`,
    `CREATE INDEX record_samples_at ON ${t('record_samples')} (at)`,
  ],
  // 8: per field, the sum of paired latency deltas in ms (SQLite's migration 6).
  (t) => [`ALTER TABLE ${t('diff_fields')} ADD COLUMN delta_ms DOUBLE PRECISION NOT NULL DEFAULT 0`],
  // 9: whether a replica serves traffic (the primary of a `workers: N` group does not): the fleet's
  // fault.maxActive is shared among the replicas that do.
  (t) => [`ALTER TABLE ${t('fleet_replicas')} ADD COLUMN serves BOOLEAN NOT NULL DEFAULT true`],
  // 10: paired-delta histograms per `trace:slower:` field, shadow and noise pairs (SQLite's migration 7).
  (t) => [
    `CREATE TABLE ${t('diff_deltas')} (${KEY}, field TEXT NOT NULL, noise BOOLEAN NOT NULL, hist BIGINT[] NOT NULL,
      PRIMARY KEY (hour, route, shadow, endpoint, field, noise))`,
  ],
  // 11: arm profiles per minute × route × arm × operation (SQLite's migration 8), summed by every replica.
  (t) => [
    `CREATE TABLE ${t('arm_profiles')} (minute BIGINT NOT NULL, route TEXT NOT NULL, arm TEXT NOT NULL, op TEXT NOT NULL,
      requests BIGINT NOT NULL, missing BIGINT NOT NULL, calls BIGINT NOT NULL, errors BIGINT NOT NULL,
      sum_sq BIGINT NOT NULL, total_ms DOUBLE PRECISION NOT NULL, latency BIGINT[] NOT NULL,
      PRIMARY KEY (minute, route, arm, op))`,
    `CREATE INDEX arm_profiles_route ON ${t('arm_profiles')} (route, minute)`,
  ],
  // 12: the fleet ramp's evidence: every replica's RampBatch once a second, read by the judge by id, pruned.
  (t) => [
    `CREATE TABLE ${t('ramp_evidence')} (id BIGSERIAL PRIMARY KEY, at TIMESTAMPTZ NOT NULL DEFAULT now(),
      batch JSONB NOT NULL)`,
    `CREATE INDEX ramp_evidence_at ON ${t('ramp_evidence')} (at)`,
  ],
];

/** Key of the transaction-level advisory lock that serializes migrators of one schema. */
const LOCK_SQL = "SELECT pg_advisory_xact_lock(hashtext('fieldlab-migrate:' || $1::text))";

/**
 * Applies pending migrations in one transaction, holding a transaction-scoped advisory lock (so it
 * works through a transaction-mode pooler, and two replicas starting together migrate once).
 * Throws StorageSchemaError when the schema was migrated by a newer Fieldlab.
 * @example await migratePostgres(db) // { from: 0, to: 3 }
 */
export async function migratePostgres(
  db: PgDatabase,
  migrations: readonly PgMigration[] = PG_MIGRATIONS,
): Promise<{ from: number; to: number }> {
  return db.tx(async (q) => {
    await q(LOCK_SQL, [db.target.schema]);
    await q(`CREATE SCHEMA IF NOT EXISTS "${db.target.schema}"`);
    await q(`CREATE TABLE IF NOT EXISTS ${db.t('fieldlab_migrations')} (version INTEGER PRIMARY KEY,
      applied_at TIMESTAMPTZ NOT NULL DEFAULT now())`);
    const from = await pgSchemaVersion(q, db.t('fieldlab_migrations'));
    if (from > migrations.length) throw new StorageSchemaError(db.target.display, from, migrations.length);
    for (let v = from; v < migrations.length; v++) {
      for (const sql of migrations[v]!(db.t)) await q(sql);
      await q(`INSERT INTO ${db.t('fieldlab_migrations')} (version) VALUES ($1)`, [v + 1]);
    }
    return { from, to: Math.max(from, migrations.length) };
  });
}

async function pgSchemaVersion(q: PgQuery, table: string): Promise<number> {
  const [row] = await q<{ v: number | null }>(`SELECT max(version) AS v FROM ${table}`);
  return row?.v ?? 0;
}
