/**
 * The SQLite repositories: one local file per proxy, written in batches by the diff batcher (never
 * per request) and read by reports, the admin API and the CLI — also after a restart. The proxy runs
 * them inside a worker thread (sqlite-worker.ts) so no SQLite call ever runs on its event loop; the
 * CLI and tests open them in-process behind the same async interfaces.
 */
import type BetterSqlite3 from 'better-sqlite3';
import { buildReport } from '../compare/report.js';
import { openDatabase } from './db.js';
import type { ExperimentStore } from './experiment-types.js';
import type { GuardrailStore } from './guardrail-types.js';
import { createSqliteExperimentStore } from './sqlite-experiments.js';
import { createSqliteGuardrailStore } from './sqlite-guardrails.js';
import { createSqliteRecordStore } from './sqlite-records.js';
import type { RecordStore } from './record-types.js';
import { createSqliteProfiles } from './sqlite-profiles.js';
import { createSqliteReader } from './sqlite-read.js';
import { createSqliteWriter } from './sqlite-write.js';
import { asyncRepo, type Sync } from './sync.js';
import type { DiffStore, DiffStoreLimits, Stores } from './types.js';

/** Aggregate tables pruned by hour. */
const HOURLY_TABLES = ['diff_pairs', 'diff_fields', 'diff_noise', 'diff_statuses', 'diff_latency', 'diff_deltas', 'diff_skips'];

/** Both repositories on one database, synchronous (what the worker thread runs). */
export interface SqliteRepos {
  readonly diffs: Sync<DiffStore>;
  readonly guardrails: Sync<GuardrailStore>;
  readonly experiments: Sync<ExperimentStore>;
  readonly records: Sync<RecordStore>;
  close(): void;
}

/**
 * Opens (creating and migrating when needed) both repositories on `file`, or a private database at
 * `':memory:'`, synchronously. Throws StorageSchemaError when the file was written by a newer Fieldlab.
 * @example const repos = openSqliteRepos('data/fieldlab.db'); repos.diffs.write(batch); repos.close()
 */
export function openSqliteRepos(file: string, opts: DiffStoreLimits = {}): SqliteRepos {
  const db = openDatabase(file);
  const diffs = createSqliteDiffs(db, opts);
  return {
    diffs,
    guardrails: createSqliteGuardrailStore(db),
    experiments: createSqliteExperimentStore(db),
    records: createSqliteRecordStore(db),
    close: () => void diffs.close(),
  };
}

/**
 * A DiffStore on `file` in this thread (CLI, tests). The proxy uses `openStore`, which runs it in a worker.
 * @example
 * const store = openSqliteStore('data/fieldlab.db');
 * await store.write(batch);
 * await store.rows({ route: 'checkout', since: Date.now() - 86_400_000 });
 */
export function openSqliteStore(file: string, opts: DiffStoreLimits = {}): DiffStore {
  return asyncRepo<DiffStore>(createSqliteDiffs(openDatabase(file), opts));
}

/**
 * Both repositories on `file` in this thread, behind the async interfaces.
 * @example const { diffs, guardrails, close } = openSqliteStores('data/fieldlab.db')
 */
export function openSqliteStores(file: string, opts: DiffStoreLimits = {}): Stores {
  const repos = openSqliteRepos(file, opts);
  return {
    diffs: asyncRepo<DiffStore>(repos.diffs),
    guardrails: asyncRepo<GuardrailStore>(repos.guardrails),
    experiments: asyncRepo<ExperimentStore>(repos.experiments),
    records: asyncRepo<RecordStore>(repos.records),
    close: async () => repos.close(),
  };
}

function createSqliteDiffs(db: BetterSqlite3.Database, opts: DiffStoreLimits): Sync<DiffStore> {
  const maxPerSignature = opts.maxExamplesPerSignature ?? 3;
  const maxExamples = opts.maxExamples ?? 5000;
  const write = createSqliteWriter(db, maxPerSignature);
  const read = createSqliteReader(db);
  const profiles = createSqliteProfiles(db);

  const pruneHourly = HOURLY_TABLES.map((t) => db.prepare<[number]>(`DELETE FROM ${t} WHERE hour < ?`));
  const pruneExamples = db.prepare<[number]>('DELETE FROM diff_examples WHERE at < ?');
  const countExamples = db.prepare<[], number>('SELECT count(*) FROM diff_examples').pluck();
  const trimExamples = db.prepare<[number]>('DELETE FROM diff_examples WHERE id IN (SELECT id FROM diff_examples ORDER BY at, id LIMIT ?)');
  const prune = db.transaction((before: number) => {
    let deleted = 0;
    for (const stmt of pruneHourly) deleted += stmt.run(before).changes;
    deleted += pruneExamples.run(before).changes;
    deleted += profiles.prune(before);
    // Computed here rather than in SQL: a negative LIMIT means "no limit" to SQLite.
    const excess = countExamples.get()! - maxExamples;
    if (excess > 0) deleted += trimExamples.run(excess).changes;
    return deleted;
  });

  return {
    write,
    rows: (filter) => read.rows(filter),
    examples: (filter) => read.examples(filter),
    profiles: (route, since) => profiles.read(route, since),
    // Built here, next to the data: in the worker, only the bounded page crosses to the proxy's thread.
    report: (q) => buildReport(read.rows(q.filter), q.filter, {}, q.page),
    prune: (before) => prune.immediate(before),
    close() {
      if (db.open) db.close();
    },
  };
}
