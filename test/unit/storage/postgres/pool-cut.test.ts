// A connection cut in the middle of a transaction (network partition, server restart) must reject
// that transaction — not reach Node as an unhandled 'error' event, which would kill the replica.
// node-postgres' pool drops its own error listener from a client while it is checked out.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPgDatabase, type PgDatabase } from '../../../../src/storage/postgres/pool.js';
import { parsePostgresUrl, type PostgresTarget } from '../../../../src/storage/postgres/url.js';
import { TEST_PG, createTestSchema, type TestSchema } from '../../../helpers/pg.js';
import { startTcpProxy, type TcpProxy } from '../../../helpers/tcp-proxy.js';

describe('PostgreSQL pool: a cut inside a transaction', () => {
  let pgs: TestSchema;
  let proxy: TcpProxy;
  let db: PgDatabase;
  beforeAll(async () => {
    pgs = await createTestSchema();
    proxy = await startTcpProxy(Number(new URL(TEST_PG).port || 5432));
    const url = pgs.url.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`);
    db = createPgDatabase(parsePostgresUrl(url) as PostgresTarget, { onError: () => undefined });
  });
  afterAll(async () => {
    await db?.close();
    await proxy?.close();
    await pgs?.drop();
  });

  it('rejects the transaction and keeps the process, and the pool works again once the network is back', async () => {
    const tx = db.tx(async (q) => {
      await q('SELECT 1');
      // Cut while the client is checked out but between statements: the socket closes with no query active.
      await proxy.cut();
      await new Promise((r) => setTimeout(r, 100));
      await q('SELECT 2');
    });
    await expect(tx).rejects.toThrow();
    await proxy.restore();
    expect(await db.query<{ n: number }>('SELECT 3 AS n')).toEqual([{ n: 3 }]);
  });
});
