import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../../../src/storage/db.js';
import { MIGRATIONS, StorageSchemaError, migrate } from '../../../src/storage/migrations.js';
import { openSqliteStore } from '../../../src/storage/sqlite.js';
import { openSqliteWorkerStores } from '../../../src/storage/sqlite-client.js';
import { batch, example, runStoreContract } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'fieldlab-storage-'));
let n = 0;
const tempFile = () => join(dir, `t${++n}`, 'fieldlab.db'); // a subdirectory: the store must create it
afterAll(() => rmSync(dir, { recursive: true, force: true }));

runStoreContract('sqlite :memory:', (limits) => openSqliteStore(':memory:', limits));
runStoreContract('sqlite file', (limits) => openSqliteStore(tempFile(), limits));
runStoreContract('sqlite worker thread', async (limits) => (await openSqliteWorkerStores(tempFile(), limits)).diffs);

const T0 = Date.UTC(2026, 10, 20, 10);
const scope = { hour: T0, route: 'checkout', shadow: 'v2', endpoint: 'GET /cart' };

describe('sqlite store on a file', () => {
  it('keeps its data across close and reopen (reports after a restart)', async () => {
    const file = tempFile();
    const first = openSqliteStore(file);
    await first.write(batch({ pairs: [{ ...scope, count: 7 }], examples: [example(T0 + 1)] }));
    await first.close();
    await first.close(); // idempotent
    const again = openSqliteStore(file);
    await again.write(batch({ pairs: [{ ...scope, count: 1 }] }));
    expect((await again.rows({})).pairs[0]!.count).toBe(8);
    expect(await again.examples({})).toEqual([example(T0 + 1)]);
    await again.close();
  });

  it('creates the parent directory and runs in WAL mode with the documented settings', async () => {
    const file = tempFile();
    const db = openDatabase(file);
    expect(existsSync(file)).toBe(true);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
    db.close();
  });

  it('lets a second process read what the first wrote while it stays open', async () => {
    const file = tempFile();
    const proxy = openSqliteStore(file);
    const report = openSqliteStore(file);
    await proxy.write(batch({ pairs: [{ ...scope, count: 3 }] }));
    expect((await report.rows({})).pairs[0]!.count).toBe(3);
    await proxy.close();
    await report.close();
  });

  it('writes while a report holds a read transaction open (WAL: readers never block the writer)', async () => {
    const file = tempFile();
    const store = openSqliteStore(file);
    const reader = new Database(file, { readonly: true });
    reader.exec('BEGIN');
    reader.prepare('SELECT count(*) FROM diff_pairs').get();
    const started = Date.now();
    await store.write(batch({ pairs: [{ ...scope, count: 1 }] })); // a rollback journal would wait busy_timeout, then fail
    expect(Date.now() - started).toBeLessThan(1000);
    expect(reader.prepare('SELECT count(*) FROM diff_pairs').pluck().get()).toBe(0); // its snapshot
    reader.exec('COMMIT');
    reader.close();
    await store.close();
  });
});

describe('migrations', () => {
  it('opens a database created at version 1 and keeps its data', async () => {
    const file = tempFile();
    mkdirSync(dirname(file));
    const v1 = new Database(file);
    for (const sql of MIGRATIONS[0]!) v1.exec(sql);
    v1.pragma('user_version = 1');
    v1.prepare('INSERT INTO diff_pairs VALUES (?, ?, ?, ?, ?)').run(T0, 'checkout', 'v2', 'GET /cart', 4);
    v1.close();
    const store = openSqliteStore(file);
    expect((await store.rows({})).pairs).toEqual([{ route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', count: 4 }]);
    await store.close();
  });

  it('refuses a database from a newer release with a clear error, leaving it untouched', async () => {
    const file = tempFile();
    openSqliteStore(file).close();
    const raw = new Database(file);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    let err: unknown;
    try {
      openSqliteStore(file);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(StorageSchemaError);
    expect((err as Error).message).toMatch(
      `schema version ${MIGRATIONS.length + 1} but this Fieldlab knows versions up to ${MIGRATIONS.length}`,
    );
    expect((err as Error).message).toContain(file);
    const after = new Database(file);
    expect(after.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length + 1);
    after.close();
  });

  it('applies only pending migrations, and rolls back all of them when one fails', async () => {
    const db = new Database(':memory:');
    expect(migrate(db, [['CREATE TABLE a (x)']])).toEqual({ from: 0, to: 1 });
    expect(migrate(db, [['CREATE TABLE a (x)'], ['CREATE TABLE b (x)']])).toEqual({ from: 1, to: 2 });
    expect(migrate(db, [['CREATE TABLE a (x)'], ['CREATE TABLE b (x)']])).toEqual({ from: 2, to: 2 });
    const broken = [['CREATE TABLE a (x)'], ['CREATE TABLE b (x)'], ['CREATE TABLE c (x)'], ['NOT SQL']];
    expect(() => migrate(db, broken)).toThrow();
    expect(db.pragma('user_version', { simple: true })).toBe(2);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'c'").pluck().get()).toBe(0);
    db.close();
  });
});
