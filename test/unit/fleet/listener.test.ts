import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startListener } from '../../../src/fleet/listener.js';
import { createPgDatabase, type PgDatabase } from '../../../src/storage/postgres/pool.js';
import { parsePostgresUrl, type PostgresTarget } from '../../../src/storage/postgres/url.js';
import { TEST_PG } from '../../helpers/pg.js';
import { migratedSchema } from '../../helpers/pg-db.js';

let env: Awaited<ReturnType<typeof migratedSchema>>;
let db: PgDatabase;
beforeAll(async () => {
  env = await migratedSchema(1);
  [db] = env.dbs as [PgDatabase];
});
afterAll(() => env?.drop());

const until = async (ok: () => boolean) => {
  while (!ok()) await new Promise((r) => setTimeout(r, 20));
};

describe('LISTEN connection', () => {
  it('hears notifications, reconnects after its backend is killed, and re-syncs after every connect', async () => {
    const channel = `fieldlab_${env.pgs.schema}`;
    const heard: string[] = [];
    let ready = 0;
    const l = startListener({ db, channel, onNotify: (p) => heard.push(p), onReady: () => ready++, probeMs: 60_000 });
    await until(() => l.connected());
    expect(ready).toBe(1);
    await db.query('SELECT pg_notify($1, $2)', [channel, 'one']);
    await until(() => heard.length === 1);
    // Kill the listening session from the server side, as a failover or a pooler restart would (only
    // ours: its last statement names this test's own channel).
    await env.pgs.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE query = $1', [`LISTEN "${channel}"`]);
    await until(() => ready === 2);
    expect(l.reconnects()).toBe(1);
    await db.query('SELECT pg_notify($1, $2)', [channel, 'two']);
    await until(() => heard.length === 2);
    expect(heard).toEqual(['one', 'two']);
    await l.stop();
    expect(l.connected()).toBe(false);
  });

  it('calls a LISTEN that hears nothing deaf (probes through the pool never arrive), and keeps probes from onNotify', async () => {
    const channel = `fieldlab_${env.pgs.schema}`;
    // LISTEN in another database of the same server: connected and answering, but no NOTIFY sent
    // through the pool reaches it, which is what a transaction-mode pooler does to a LISTEN.
    const other = new URL(TEST_PG);
    other.pathname = '/postgres';
    other.searchParams.set('schema', env.pgs.schema);
    const elsewhere = createPgDatabase(parsePostgresUrl(other.toString()) as PostgresTarget);
    const split: PgDatabase = { ...db, dedicatedClient: () => elsewhere.dedicatedClient() };
    let deafCalls = 0;
    const heard: string[] = [];
    const healthy = startListener({ db, channel, onNotify: (p) => heard.push(p), onReady: () => undefined, probeMs: 50 });
    const deaf = startListener({
      db: split,
      channel,
      onNotify: () => undefined,
      onReady: () => undefined,
      onDeaf: () => deafCalls++,
      probeMs: 50,
    });
    await until(() => deaf.deaf());
    expect(deaf.connected()).toBe(false);
    expect(deafCalls).toBe(1);
    // The healthy one hears its own probes (a slow probe on a loaded machine may make it deaf for a
    // moment; hearing the next one ends that), and none of them, nor the deaf one's, as a notification.
    await until(() => healthy.connected() && !healthy.deaf());
    expect(heard).toEqual([]);
    await Promise.all([healthy.stop(), deaf.stop()]);
    await elsewhere.close();
  });
});
