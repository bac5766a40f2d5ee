// The SQLite store in its worker thread: bounded queue, coded failures, and no SQLite in this thread.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MIGRATIONS } from '../../../src/storage/migrations.js';
import { openSqliteWorkerStores } from '../../../src/storage/sqlite-client.js';
import { batch } from './store-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'fieldlab-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const file = () => join(dir, `w${++n}.db`);
const T0 = Date.UTC(2026, 10, 20, 10);

describe('sqlite store worker', () => {
  it('refuses requests past its queue at once with FL_STORE_BUSY and counts them', async () => {
    const s = await openSqliteWorkerStores(file(), { queue: 2 });
    const calls = Array.from({ length: 5 }, (_, i) =>
      s.diffs.write(batch({ pairs: [{ hour: T0, route: 'r', shadow: 's', endpoint: `GET /${i}`, count: 1 }] })),
    );
    const settled = await Promise.allSettled(calls);
    expect(settled.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'rejected', 'rejected', 'rejected']);
    expect((settled[2] as PromiseRejectedResult).reason).toMatchObject({ code: 'FL_STORE_BUSY' });
    expect(s.stats()).toMatchObject({ requests: 2, dropped: 3, pending: 0 });
    expect((await s.diffs.rows({})).pairs).toHaveLength(2); // room again once answered
    await s.close();
  });

  it('answers what was sent before close, then refuses with FL_STORE_UNAVAILABLE', async () => {
    const path = file();
    const s = await openSqliteWorkerStores(path);
    const write = s.diffs.write(batch({ pairs: [{ hour: T0, route: 'r', shadow: 's', endpoint: 'GET /', count: 3 }] }));
    await s.close();
    await write;
    await expect(s.diffs.rows({})).rejects.toMatchObject({ code: 'FL_STORE_UNAVAILABLE' });
    const again = await openSqliteWorkerStores(path);
    expect((await again.diffs.rows({})).pairs[0]!.count).toBe(3);
    await again.close();
  });

  it('rejects opening a database from a newer release, with the worker gone', async () => {
    const path = file();
    const raw = new Database(path);
    raw.pragma(`user_version = ${MIGRATIONS.length + 1}`);
    raw.close();
    await expect(openSqliteWorkerStores(path)).rejects.toMatchObject({ name: 'StorageSchemaError' });
  });

  it('reports time spent in the worker thread, not in this one', async () => {
    const s = await openSqliteWorkerStores(file());
    await s.diffs.report({ filter: {} });
    expect(s.stats().workerMs).toBeGreaterThan(0);
    await s.close();
  });
});

describe('the proxy thread', () => {
  it('never loads better-sqlite3 to use the worker store (checked in a fresh process)', () => {
    // This test file imports better-sqlite3 itself (above), so the question is asked of a fresh
    // process that uses only the client module: its imports, transitively, must not include the driver.
    const client = new URL('../../../dist/src/storage/sqlite-client.js', import.meta.url).href;
    const script = join(dir, 'probe.mjs');
    writeFileSync(
      script,
      `import { createRequire } from 'node:module';
const m = await import(${JSON.stringify(client)});
const s = await m.openSqliteWorkerStores(${JSON.stringify(file())});
await s.diffs.rows({});
await s.close();
const loaded = Object.keys(createRequire(import.meta.url).cache).some((k) => k.includes('better-sqlite3'));
process.stdout.write(String(loaded));
`,
    );
    expect(execFileSync(process.execPath, [script], { encoding: 'utf8' })).toBe('false');
  });
});
