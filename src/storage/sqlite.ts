/**
 * The SQLite DiffStore: one local file per proxy, written in batches by the diff batcher (never per
 * request) and read by reports, the admin API and the CLI — also after a restart.
 */
import type { DiffStore, DiffStoreLimits } from './types.js';
import type BetterSqlite3 from 'better-sqlite3';
import { openDatabase } from './db.js';
import type { GuardrailStore } from './guardrail-types.js';
import { createSqliteGuardrailStore } from './sqlite-guardrails.js';
import { createSqliteReader } from './sqlite-read.js';
import { createSqliteWriter } from './sqlite-write.js';

/** Aggregate tables pruned by hour. */
const HOURLY_TABLES = ['diff_pairs', 'diff_fields', 'diff_noise', 'diff_statuses', 'diff_latency', 'diff_skips'];

/**
 * Opens (creating and migrating when needed) a store at `file`, or a private one at `':memory:'`.
 * Throws StorageSchemaError when the file was written by a newer Fieldlab.
 * @example
 * const store = openSqliteStore('data/fieldlab.db');
 * store.write(batch);
 * store.rows({ route: 'checkout', since: Date.now() - 86_400_000 });
 */
export function openSqliteStore(file: string, opts: DiffStoreLimits = {}): DiffStore {
  return diffStoreOn(openDatabase(file), opts);
}

/** Both repositories on one database file; `close()` closes the file. */
export interface SqliteStores {
  readonly diffs: DiffStore;
  readonly guardrails: GuardrailStore;
  close(): void;
}

/**
 * Opens the shadow-diff and guardrails repositories on one file.
 * @example const { diffs, guardrails, close } = openSqliteStores('data/fieldlab.db')
 */
export function openSqliteStores(file: string, opts: DiffStoreLimits = {}): SqliteStores {
  const db = openDatabase(file);
  const diffs = diffStoreOn(db, opts);
  return { diffs, guardrails: createSqliteGuardrailStore(db), close: () => diffs.close() };
}

function diffStoreOn(db: BetterSqlite3.Database, opts: DiffStoreLimits): DiffStore {
  const maxPerSignature = opts.maxExamplesPerSignature ?? 3;
  const maxExamples = opts.maxExamples ?? 5000;
  const write = createSqliteWriter(db, maxPerSignature);
  const read = createSqliteReader(db);

  const pruneHourly = HOURLY_TABLES.map((t) => db.prepare<[number]>(`DELETE FROM ${t} WHERE hour < ?`));
  const pruneExamples = db.prepare<[number]>('DELETE FROM diff_examples WHERE at < ?');
  const countExamples = db.prepare<[], number>('SELECT count(*) FROM diff_examples').pluck();
  const trimExamples = db.prepare<[number]>('DELETE FROM diff_examples WHERE id IN (SELECT id FROM diff_examples ORDER BY at, id LIMIT ?)');
  const prune = db.transaction((before: number) => {
    let deleted = 0;
    for (const stmt of pruneHourly) deleted += stmt.run(before).changes;
    deleted += pruneExamples.run(before).changes;
    // Computed here rather than in SQL: a negative LIMIT means "no limit" to SQLite.
    const excess = countExamples.get()! - maxExamples;
    if (excess > 0) deleted += trimExamples.run(excess).changes;
    return deleted;
  });

  return {
    write,
    rows: (filter) => read.rows(filter),
    examples: (filter) => read.examples(filter),
    prune: (before) => prune.immediate(before),
    close() {
      if (db.open) db.close();
    },
  };
}
