// Starting while PostgreSQL is unreachable (a TCP proxy the test keeps cut; the shared server stays
// up): the replica stays alive but not ready — /readyz 503 FL_STORE_UNREACHABLE, no proxy port, a
// metric and a log line with the redacted URL — retries, and once the database answers it starts
// with the fleet's state: a variant the fleet rolled back never serves a request. What a retry
// cannot fix (a database that does not exist) fails fast instead.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { TEST_PG, createTestSchema, type TestSchema } from '../../helpers/pg.js';
import { type Replica, eventually, fleetYaml, spawnReplica, startReplica } from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';
import { startTcpProxy, type TcpProxy } from '../../helpers/tcp-proxy.js';

interface FleetBody {
  self: { applied: Record<string, { seq: number }> };
}

describe('fleet: starting while the database is down', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let proxy: TcpProxy;
  let control: TestUpstream, variant: TestUpstream;
  const replicas: Replica[] = [];
  const pgPort = Number(new URL(TEST_PG).port || 5432);

  beforeAll(async () => {
    pgs = await createTestSchema();
    proxy = await startTcpProxy(pgPort);
    await proxy.cut();
    control = await startUpstream('control', (_q, res) => res.setHeader('x-served-by', 'control').end('ok'));
    variant = await startUpstream('variant', (_q, res) => res.setHeader('x-served-by', 'variant').end('ok'));
    replicas.push(await startReplica('edge-0', tmp.dir, fleetYaml({ store: pgs.url, control: control.url, variant: variant.url })));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([control.close(), variant.close()]);
    await proxy?.close();
    await pgs?.drop();
    tmp.remove();
  });

  it('waits not ready, then starts with the fleet state (a rolled-back variant stays rolled back)', async () => {
    const res = await request(`${replicas[0]!.adminUrl}/routes/checkout/rollback`, { method: 'POST' });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const [decision] = await eventually(
      async () => {
        const rows = await pgs.query<{ seq: number }>(`SELECT seq::int AS seq FROM "${pgs.schema}".fleet_decisions`);
        return rows.length > 0 && rows;
      },
      10_000,
      'the rollback decision',
    );

    // A password in the URL, to check it never reaches the log.
    const viaProxy = pgs.url.replace(/\/\/([^@/]+)@[^/]+\//, `//$1:sekret@127.0.0.1:${proxy.port}/`);
    const late = await spawnReplica('edge-1', tmp.dir, fleetYaml({ store: viaProxy, control: control.url, variant: variant.url }));
    replicas.push(late);
    const waiting = await eventually(
      async () => {
        const r = await late.admin<{ code?: string; failures: number }>('/readyz');
        return r.status === 503 && r.body.failures >= 2 && r.body;
      },
      15_000,
      'the starting replica to report the unreachable store twice',
    );
    expect(waiting).toMatchObject({ status: 'not ready', reason: 'store unreachable', code: 'FL_STORE_UNREACHABLE' });
    expect((await late.admin('/healthz')).status).toBe(200);
    const metrics = await (await request(`${late.adminUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/^fieldlab_store_reachable 0$/m);
    expect(Number(/^fieldlab_store_connect_failures_total (\d+)$/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(2);
    // No traffic while not ready: the proxy port is not even open.
    await expect(request(late.url, { headers: { 'x-user-id': 'u1' } })).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    const logged = late.output().filter((l) => l.includes('FL_STORE_UNREACHABLE'));
    expect(logged.length).toBeGreaterThanOrEqual(2);
    expect(logged[0]).toContain(`postgres://postgres:***@127.0.0.1:${proxy.port}/test`);
    expect(late.output().join('\n')).not.toContain('sekret');
    expect(late.proc.exitCode).toBeNull();

    await proxy.restore();
    await eventually(async () => (await late.admin('/readyz')).status === 200, 20_000, 'ready once the database answers');
    // From its first request on, the new replica routes nobody to the variant the fleet rolled back.
    const served: Record<string, number> = {};
    for (let i = 0; i < 200; i += 20)
      await Promise.all(
        Array.from({ length: 20 }, async (_, j) => {
          const r = await request(late.url, { headers: { 'x-user-id': `u${i + j}` } });
          await r.body.text();
          const by = String(r.headers['x-served-by']);
          served[by] = (served[by] ?? 0) + 1;
        }),
      );
    expect(served).toEqual({ control: 200 });
    await eventually(
      async () => (await late.admin<FleetBody>('/fleet')).body.self.applied.checkout?.seq === decision!.seq,
      10_000,
      'the late replica to report the fleet decision applied',
    );
  }, 60_000);

  it('fails fast, with a code and exit 1, when a retry cannot help (no such database)', async () => {
    const missing = pgs.url.replace(/\/test\?/, '/fl_no_such_database?');
    const bad = await spawnReplica('edge-bad', tmp.dir, fleetYaml({ store: missing, control: control.url, variant: variant.url }));
    bad.expectExit();
    await Promise.race([bad.exited, new Promise((r) => setTimeout(r, 15_000))]);
    expect(bad.proc.exitCode, bad.output().join('\n')).toBe(1);
    const out = bad.output().join('\n');
    expect(out).toContain('FL_STORE_OPEN');
    expect(out).toContain('fl_no_such_database');
    expect(out).not.toContain('FL_STORE_UNREACHABLE');
  }, 30_000);
});
