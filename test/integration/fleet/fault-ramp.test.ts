// The sick-canary ramp on a fleet of two real replicas on the real PostgreSQL: clients hit BOTH
// replicas (a unit's page on one, its purchase on the other). Every replica writes its evidence to
// `ramp_evidence`; the replica holding `ramp:shop` judges it all and publishes each step through the
// fleet decision log, which the other adopts. Same scenario as fault-ramp.test.ts: clients give up
// after 400 ms and never buy, so 100 → 250 → 500 → 1000 ms stops at 500 ms, 250 ms last safe,
// decided once. Then the judge dies: the follower keeps injecting the last step, takes the lease
// over and resumes the stored ramp (`ramp-resume`).
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../../helpers/pg.js';
import { boomSliceUsers, expectBreakingPoint, rampYaml, startRampLoad } from '../../helpers/ramp-traffic.js';
import { type Replica, eventually, startReplica } from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';

describe('fleet: fault.ramp with one judge', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let shop: TestUpstream, pay: TestUpstream;
  const replicas: Replica[] = [];
  let load: { stop(): Promise<void> } | undefined;
  const agent = new Agent({ connections: 64, pipelining: 0 });

  beforeAll(async () => {
    pgs = await createTestSchema();
    shop = await startUpstream('shop');
    pay = await startUpstream('pay');
    const yaml = (p: { listen: number; admin: number }) =>
      rampYaml({ ...p, store: pgs.url, shop: shop.url, pay: pay.url, extra: 'fleet: { lease: 2s, poll: 1s }' });
    for (const id of ['edge-0', 'edge-1']) replicas.push(await startReplica(id, tmp.dir, yaml));
    // A unit's page on one replica and its purchase on the OTHER: the judge joins them across replicas.
    load = startRampLoad(
      replicas.map((r) => r.url),
      agent,
    );
  }, 30_000);
  afterAll(async () => {
    await load?.stop();
    await Promise.all(replicas.map((r) => r.kill()));
    await agent.close();
    await Promise.all([shop?.close(), pay?.close()]);
    await pgs?.drop();
    tmp.remove();
  });

  const status = async (r: Replica, route: string) => (await r.admin<{ ramps: any[] }>(`/status?route=${route}`)).body.ramps[0];
  const rampDecisions = async (r: Replica, route: string) =>
    (await r.admin<{ decisions: { action: string; rule: string }[] }>(`/decisions.json?route=${route}`)).body.decisions
      .filter((d) => d.rule === 'fault.ramp')
      .map((d) => d.action)
      .reverse();
  const injected = async (r: Replica, route: string, kind: string) => {
    const text = await (await request(`${r.adminUrl}/metrics`)).body.text();
    const m = new RegExp(`fieldlab_fault_injected_total\\{route="${route}",kind="${kind}"\\} (\\d+)`).exec(text);
    return Number(m?.[1] ?? 0);
  };

  it('one judge on both replicas’ evidence: stops at 500 ms, 250 ms last safe, decided once', async () => {
    const judged = async () => {
      for (const r of replicas) {
        const s = await status(r, 'shop');
        if (s?.phase === 'done' && s.lastSafe) return { r, s };
      }
      return undefined;
    };
    // Rows the judge must skip, not crash on: malformed, and a batch of another ramp identity.
    await pgs.query(
      `INSERT INTO "${pgs.schema}".ramp_evidence (batch) VALUES ('{"route":"shop","step":"x"}'), ('[1,2]'),
        ('{"route":"shop","identity":"other","step":0,"routeRequests":5,"injected":5,"seconds":[],"exposed":[],"goals":[],"dropped":0}')`,
    );
    const { r: judge, s: done } = (await eventually(judged, 45_000, 'the ramp done'))!;
    await load?.stop();
    expectBreakingPoint(done);
    // Both replicas injected the judge's steps, and the judge's numbers count both replicas' requests.
    for (const r of replicas) expect(await injected(r, 'shop', 'delay')).toBeGreaterThan(0);
    const served = await pgs.query<{ n: string }>(
      `SELECT count(DISTINCT batch->>'step') AS n FROM "${pgs.schema}".ramp_evidence WHERE batch->>'route' = 'shop'`,
    );
    expect(Number(served[0]!.n)).toBeGreaterThanOrEqual(3);
    // One judge: one sequence of decisions in the shared store, not one per replica.
    for (const r of replicas) expect(await rampDecisions(r, 'shop')).toEqual(['ramp-start', 'ramp-advance', 'ramp-advance', 'ramp-done']);
    const leases = await pgs.query<{ route: string; replica: string }>(`SELECT route, replica FROM "${pgs.schema}".fleet_leases`);
    expect(leases).toContainEqual({ route: 'ramp:shop', replica: judge.id });
    // The judge's metrics are the judge's numbers (a follower's copy has no judged steps).
    expect(await (await request(`${judge.adminUrl}/metrics`)).body.text()).toContain('fieldlab_fault_ramp_done{route="shop",end="harm"} 1');
    // GET /fleet: the step rows are applied by both replicas (none reported behind).
    await eventually(
      async () => {
        const v = (await judge.admin<{ routes: { route: string; behind: string[] }[] }>('/fleet')).body;
        return v.routes.find((r) => r.route === 'ramp:shop')?.behind.length === 0;
      },
      10_000,
      'no replica behind on ramp:shop',
    );
  }, 60_000);

  it('a dead judge: the follower keeps the last step, takes the lease and resumes the stored ramp', async () => {
    const users = boomSliceUsers(8);
    const statuses = async (r: Replica) => {
      const out = new Set<number>();
      for (const user of users) {
        const res = await request(`${r.url}/boom/x`, {
          headers: { 'x-user-id': user },
          dispatcher: agent,
        });
        await res.body.text();
        out.add(res.statusCode);
      }
      return [...out];
    };
    // Both replicas inject the step in force (the follower from the published step).
    for (const r of replicas) expect(await statuses(r)).toEqual([503]);
    const leases = await pgs.query<{ replica: string }>(`SELECT replica FROM "${pgs.schema}".fleet_leases WHERE route = 'ramp:boom'`);
    const judge = replicas.find((r) => r.id === leases[0]!.replica)!;
    const follower = replicas.find((r) => r !== judge)!;
    await judge.kill();
    // At once: the follower still injects the last step it adopted.
    expect(await statuses(follower)).toEqual([503]);
    // The lease moves (2 s) and the new judge resumes the stored ramp, once.
    await eventually(async () => (await rampDecisions(follower, 'boom')).includes('ramp-resume'), 15_000, 'the follower resumes the ramp');
    expect(await rampDecisions(follower, 'boom')).toEqual(['ramp-start', 'ramp-resume']);
    expect(await status(follower, 'boom')).toMatchObject({ phase: 'running', step: 0, level: 100 });
    expect(await statuses(follower)).toEqual([503]);
  }, 40_000);
});
