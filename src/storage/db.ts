/** Opens the SQLite file behind the store: directory, connection settings, migrations. */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { MIGRATIONS, StorageSchemaError, migrate, schemaVersion } from './migrations.js';

/** How long a statement waits for another process's write lock (e.g. a report CLI) before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

/**
 * Opens (creating when missing, with its directory) and migrates a database. WAL lets report readers
 * run while the proxy writes; synchronous=NORMAL is durable across process crashes in WAL mode and
 * only risks the last commits on power loss, which is fine for aggregate counters.
 * `':memory:'` gives a private in-memory database. Throws StorageSchemaError for a newer schema.
 * @example const db = openDatabase('data/fieldlab.db')
 */
export function openDatabase(file: string): Database.Database {
  if (file !== ':memory:' && file !== '') mkdirSync(dirname(resolve(file)), { recursive: true });
  const db = new Database(file, { timeout: BUSY_TIMEOUT_MS });
  try {
    // Check before any pragma writes to the file: a newer release's database is left untouched.
    const found = schemaVersion(db);
    if (found > MIGRATIONS.length) throw new StorageSchemaError(file, found, MIGRATIONS.length);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    db.pragma('foreign_keys = ON');
    migrate(db);
    return db;
  } catch (err) {
    db.close();
    throw err;
  }
}
