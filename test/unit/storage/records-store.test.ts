// The RecordStore contract on SQLite: in this thread and through the store's worker thread.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { openSqliteWorkerStores } from '../../../src/storage/sqlite-client.js';
import { openSqliteStores } from '../../../src/storage/sqlite.js';
import { runRecordContract } from './record-contract.js';

const dir = mkdtempSync(join(tmpdir(), 'fl-rec-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

runRecordContract('sqlite', async () => {
  const s = openSqliteStores(':memory:');
  return { store: s.records, close: s.close };
});

runRecordContract('sqlite worker thread', async () => {
  const s = await openSqliteWorkerStores(join(dir, `w${++n}.db`));
  return { store: s.records, close: s.close };
});
