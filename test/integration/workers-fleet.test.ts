// `--workers 2` on PostgreSQL: every worker is a fleet replica of its own (`ID-w1`, `ID-w2`, the
// primary `ID`), the fleet decides a failing variant's rollback once, every worker applies it, and
// SIGTERM drains the group (exit 0).
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../helpers/pg.js';
import { type Replica, eventually, fleetYaml, startReplica } from '../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';

interface FleetBody {
  replicas: { replica: string; live: boolean; applied: Record<string, { seq: number }> }[];
}

describe('workers on PostgreSQL: each worker is a replica', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let control: TestUpstream, variant: TestUpstream;
  let group: Replica | undefined;

  beforeAll(async () => {
    pgs = await createTestSchema();
    control = await startUpstream('control', (_q, res) => res.setHeader('x-served-by', 'control').end('ok'));
    variant = await startUpstream('variant', (_q, res) => {
      res.setHeader('x-served-by', 'variant');
      res.statusCode = 500;
      res.end('boom');
    });
  });
  afterAll(async () => {
    await group?.kill();
    await Promise.all([control.close(), variant.close()]);
    await pgs?.drop();
    tmp.remove();
  });

  const drive = async (r: Replica, n: number, from: number) => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i += 20)
      await Promise.all(
        Array.from({ length: 20 }, async (_, j) => {
          const res = await request(`${r.url}/buy`, { headers: { 'x-user-id': `u${from + i + j}` }, reset: true });
          const by = String(res.headers['x-served-by']);
          seen[by] = (seen[by] ?? 0) + 1;
          await res.body.text();
        }),
      );
    return seen;
  };

  it('joins the fleet as three replicas, rolls back once, and every worker applies it', async () => {
    const r = (group = await startReplica(
      'pg-group',
      tmp.dir,
      fleetYaml({ store: pgs.url, control: control.url, variant: variant.url }),
      {},
      ['--workers', '2'],
    ));
    const live = await eventually(
      async () => {
        const names = (await r.admin<FleetBody>('/fleet')).body.replicas.filter((x) => x.live).map((x) => x.replica);
        return names.length === 3 ? names.sort() : undefined;
      },
      10_000,
      'three live replicas',
    );
    expect(live).toEqual(['pg-group', 'pg-group-w1', 'pg-group-w2']);
    expect((await drive(r, 400, 0)).variant).toBeGreaterThan(0);
    const decided = await eventually(
      async () => (await r.admin<{ decisions: { action: string; arm: string }[] }>('/decisions.json')).body.decisions[0],
      20_000,
      'a fleet decision',
    );
    expect(decided).toMatchObject({ action: 'rollback', arm: 'variant' });
    // Every replica (both workers) has applied it: no more variant traffic through either.
    await eventually(
      async () => (await r.admin<FleetBody>('/fleet')).body.replicas.filter((x) => x.live && x.applied.checkout).length === 3,
      10_000,
      'every replica applied the decision',
    );
    expect((await drive(r, 200, 400)).variant).toBeUndefined();
    expect(
      (await r.admin<{ decisions: { action: string }[] }>('/decisions.json')).body.decisions.filter((d) => d.action === 'rollback'),
    ).toHaveLength(1);
    await r.stop();
    expect(r.proc.exitCode).toBe(0);
  });
});
