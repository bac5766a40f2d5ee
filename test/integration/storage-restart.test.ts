// Stored diff results outlive the process: the batcher's timer writes them to a real SQLite file,
// and a store opened after "restart" (close, reopen) reports them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDiffBatcher } from '../../src/storage/batcher.js';
import { openSqliteStore } from '../../src/storage/sqlite.js';

const dir = mkdtempSync(join(tmpdir(), 'fieldlab-restart-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function waitFor(check: () => boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

describe('diff storage across a restart', () => {
  it('reports what the previous process recorded', async () => {
    const file = join(dir, 'data', 'fieldlab.db');
    const cart = { route: 'checkout', shadow: 'v2', endpoint: 'GET /cart' };

    const store = openSqliteStore(file);
    const diffs = createDiffBatcher({ store, flushMs: 20 });
    for (let i = 0; i < 10; i++) {
      diffs.pair(cart);
      diffs.field(cart, 'body:$.total', 'value', i % 5 === 0);
      diffs.latency(cart, 10, 11);
    }
    await waitFor(() => diffs.stats().flushes > 0); // written by the timer, not by us
    diffs.pair(cart); // pending at shutdown: stop() must write it
    await diffs.stop();
    await store.close();

    const after = openSqliteStore(file);
    const rows = await after.rows({ route: 'checkout', shadow: 'v2' });
    expect(rows.pairs).toEqual([{ ...cart, count: 11 }]);
    expect(rows.fields).toEqual([{ ...cart, field: 'body:$.total', kind: 'value', compared: 10, differed: 2, deltaMs: 0 }]);
    expect(rows.latency[0]!.primary.reduce((a, b) => a + b, 0)).toBe(10);
    await after.close();
  });
});
