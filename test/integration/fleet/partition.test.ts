// The database goes away for 30 s under load (simulated with a TCP proxy between the replicas and
// PostgreSQL that the test cuts: the server itself is shared with other tests and stays up). No
// client sees an error; replicas report themselves partitioned, reconnect by themselves, and
// converge on the fleet's decisions afterwards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { TEST_PG, createTestSchema, type TestSchema } from '../../helpers/pg.js';
import { type Replica, eventually, fleetYaml, startReplica } from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

interface FleetBody {
  self: { partitioned: boolean; applied: Record<string, { seq: number }> };
  replicas: { replica: string; live: boolean }[];
}

describe('fleet: database outage', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let proxy: TcpProxy;
  let control: TestUpstream, variant: TestUpstream;
  let failing = false;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    pgs = await createTestSchema();
    proxy = await startTcpProxy(Number(new URL(TEST_PG).port || 5432));
    const url = pgs.url.replace(/@[^/]+\//, `@127.0.0.1:${proxy.port}/`);
    control = await startUpstream('control', (_q, res) => res.end('ok'));
    variant = await startUpstream('variant', (_q, res) => {
      res.statusCode = failing ? 500 : 200;
      res.end();
    });
    for (const id of ['edge-0', 'edge-1'])
      replicas.push(await startReplica(id, tmp.dir, fleetYaml({ store: url, control: control.url, variant: variant.url })));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([control.close(), variant.close()]);
    await proxy?.close();
    await pgs?.drop();
    tmp.remove();
  });

  it('serves every request while the database is cut for 30 s, then reconnects and converges', async () => {
    const pools = replicas.map((r) => new Pool(r.url, { connections: 4 }));
    const statuses: Record<number, number> = {};
    let running = true;
    let n = 0;
    const load = (async () => {
      while (running) {
        const i = n++;
        const res = await pools[i % pools.length]!.request({ path: '/', method: 'GET', headers: { 'x-user-id': `u${i % 5000}` } });
        await res.body.text();
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        if (i % 20 === 0) await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await eventually(async () => (await replicas[0]!.admin<FleetBody>('/fleet')).body.replicas.filter((r) => r.live).length === 2, 10_000);
    await proxy.cut();
    await eventually(
      async () => (await Promise.all(replicas.map((r) => r.admin('/fleet')))).every((f) => f.status === 503),
      10_000,
      'both replicas to see the outage',
    );
    await new Promise((r) => setTimeout(r, 30_000 - 3000));
    await proxy.restore();
    await eventually(
      async () => {
        const views = await Promise.all(replicas.map((r) => r.admin<FleetBody>('/fleet')));
        return views.every((v) => v.status === 200 && !v.body.self.partitioned && v.body.replicas.filter((r) => r.live).length === 2);
      },
      15_000,
      'both replicas to reconnect',
    );
    // Converged: a decision after the outage reaches both.
    failing = true;
    const rollback = await eventually(
      async () => {
        const rows = await pgs.query<{ seq: number }>(`SELECT seq::int AS seq FROM "${pgs.schema}".fleet_decisions`);
        return rows[0];
      },
      20_000,
      'a rollback after the outage',
    );
    await eventually(
      async () =>
        (await Promise.all(replicas.map((r) => r.admin<FleetBody>('/fleet')))).every(
          (v) => v.body.self.applied.checkout?.seq === rollback.seq,
        ),
      10_000,
      'both replicas to apply it',
    );
    running = false;
    await load;
    await Promise.all(pools.map((p) => p.close()));
    const served = Object.values(statuses).reduce((a, b) => a + b, 0);
    expect(served).toBeGreaterThan(1000);
    // Only the variant's own 500s (after the outage) reached clients; nothing failed because of the database.
    expect(Object.keys(statuses).filter((s) => s !== '200' && s !== '500')).toEqual([]);
  }, 120_000);
});
