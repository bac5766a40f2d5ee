// Three real replicas on one PostgreSQL schema, traffic spread across them: a failing variant is
// rolled back once, by one decider, announced by one webhook naming it and the decision's sequence
// number, and every replica stops routing to it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { createTestSchema, type TestSchema } from '../../helpers/pg.js';
import { type Replica, eventually, fleetYaml, startReplica } from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';

interface FleetBody {
  self: { replica: string; leads: string[]; applied: Record<string, { seq: number }> };
  replicas: { replica: string; live: boolean; applied: Record<string, { seq: number }> }[];
  routes: { route: string; seq: number; decider: string; behind: string[] }[];
  warnings: string[];
}

describe('fleet: one decision for three replicas', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let control: TestUpstream, variant: TestUpstream, hook: TestUpstream;
  const hooks: { action: string; route: string; fleet: { seq: number; replica: string; epoch: number } }[] = [];
  const replicas: Replica[] = [];

  beforeAll(async () => {
    pgs = await createTestSchema();
    control = await startUpstream('control', (_q, res) => res.setHeader('x-served-by', 'control').end('ok'));
    variant = await startUpstream('variant', (_q, res) => {
      res.setHeader('x-served-by', 'variant');
      res.statusCode = 500;
      res.end('boom');
    });
    hook = await startUpstream('hook', (req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as (typeof hooks)[number]);
        res.end();
      });
    });
    const yaml = fleetYaml({ store: pgs.url, control: control.url, variant: variant.url, guardrails: `{ webhook: ${hook.url}/hook }` });
    replicas.push(...(await Promise.all(['edge-0', 'edge-1', 'edge-2'].map((id) => startReplica(id, tmp.dir, yaml)))));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([control.close(), variant.close(), hook.close()]);
    await pgs?.drop();
    tmp.remove();
  });

  /** `n` users, spread round-robin over the replicas; what served them. */
  const drive = async (n: number, from = 0) => {
    const pools = replicas.map((r) => new Pool(r.url, { connections: 4 }));
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i += 30) {
      await Promise.all(
        Array.from({ length: 30 }, async (_, j) => {
          const res = await pools[(i + j) % pools.length]!.request({
            path: '/buy',
            method: 'GET',
            headers: { 'x-user-id': `u${from + i + j}` },
          });
          const by = String(res.headers['x-served-by']);
          seen[by] = (seen[by] ?? 0) + 1;
          await res.body.text();
        }),
      );
    }
    await Promise.all(pools.map((p) => p.close()));
    return seen;
  };

  it('rolls the failing variant back once, and every replica applies it', async () => {
    expect((await drive(600)).variant).toBeGreaterThan(0);
    const hooked = await eventually(async () => hooks.find((h) => h.action === 'rollback'), 20_000, 'the rollback webhook');
    // Every replica applies the decision, then none routes a user to the variant.
    await eventually(
      async () =>
        (await Promise.all(replicas.map((r) => r.admin<FleetBody>('/fleet')))).every(
          (f) => f.body.self.applied.checkout?.seq === hooked.fleet.seq,
        ),
      10_000,
      'every replica to apply the rollback',
    );
    expect(await drive(300, 10_000)).toEqual({ control: 300 });

    const rows = await pgs.query<{ seq: number; replica: string; decisions: { action: string }[] }>(
      `SELECT seq::int AS seq, replica, decisions FROM "${pgs.schema}".fleet_decisions ORDER BY seq`,
    );
    expect(rows.map((r) => r.decisions.map((d) => d.action))).toEqual([['rollback']]);
    expect(hooked.fleet).toEqual({ seq: rows[0]!.seq, replica: rows[0]!.replica, epoch: expect.any(Number) });
    await new Promise((r) => setTimeout(r, 1500));
    expect(hooks.filter((h) => h.action === 'rollback')).toHaveLength(1);

    // `behind` comes from the heartbeats, written a tick after a replica applies: on a loaded machine
    // the last one can lag its own /fleet by a second or two.
    const view = await eventually(
      async () => {
        const v = (await replicas[1]!.admin<FleetBody>('/fleet')).body;
        return v.routes.every((r) => r.behind.length === 0) && v;
      },
      10_000,
      'every heartbeat to show the decision applied',
    );
    expect(view.replicas.filter((r) => r.live).map((r) => r.replica)).toEqual(['edge-0', 'edge-1', 'edge-2']);
    expect(view.routes).toEqual([
      { route: 'checkout', seq: rows[0]!.seq, decider: rows[0]!.replica, at: expect.any(String), weights: { variant: 0 }, behind: [] },
    ]);
    expect(view.warnings, JSON.stringify(view.warnings)).toEqual([]);
  }, 60_000);
});
