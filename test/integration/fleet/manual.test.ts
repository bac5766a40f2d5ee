// A manual action on any replica is a fleet decision: `POST /routes/NAME/rollback` on a replica that
// does not decide takes the lease (epoch bumped, the old decider fenced) and every replica applies it.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { createTestSchema, type TestSchema } from '../../helpers/pg.js';
import { type Replica, eventually, fleetYaml, startReplica } from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';

interface FleetBody {
  self: { replica: string; leads: string[]; applied: Record<string, { seq: number }> };
}
interface StatusBody {
  routes: { variants: { percent: number; phase: string }[] }[];
}

describe('fleet: manual actions', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let control: TestUpstream, variant: TestUpstream;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    pgs = await createTestSchema();
    control = await startUpstream('control', (_q, res) => res.end('ok'));
    variant = await startUpstream('variant', (_q, res) => res.end('ok'));
    for (const id of ['edge-0', 'edge-1'])
      replicas.push(await startReplica(id, tmp.dir, fleetYaml({ store: pgs.url, control: control.url, variant: variant.url })));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([control.close(), variant.close()]);
    await pgs?.drop();
    tmp.remove();
  });

  it('a rollback asked of a non-deciding replica reaches every replica, once', async () => {
    const leads = async (r: Replica) => (await r.admin<FleetBody>('/fleet')).body.self.leads.includes('checkout');
    const decider = await eventually(
      async () => {
        for (const r of replicas) if (await leads(r)) return r;
        return undefined;
      },
      10_000,
      'a decider',
    );
    const other = replicas.find((r) => r !== decider)!;
    const res = await request(`${other.adminUrl}/routes/checkout/rollback`, { method: 'POST', headers: { 'x-fieldlab-actor': 'oncall' } });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const rows = await eventually(
      async () => {
        const r = await pgs.query<{ seq: number; replica: string; epoch: number }>(
          `SELECT seq::int AS seq, replica, epoch::int AS epoch FROM "${pgs.schema}".fleet_decisions`,
        );
        return r.length > 0 && r;
      },
      10_000,
      'the fleet decision',
    );
    expect(rows).toEqual([{ seq: rows[0]!.seq, replica: other.id, epoch: 2 }]);
    for (const r of replicas) {
      await eventually(
        async () => (await r.admin<FleetBody>('/fleet')).body.self.applied.checkout?.seq === rows[0]!.seq,
        10_000,
        `${r.id} to apply it`,
      );
      expect((await r.admin<StatusBody>('/status')).body.routes[0]!.variants[0]!.percent).toBe(0);
    }
    // The replica asked decides from now on; the old decider was fenced out and follows.
    await eventually(async () => (await leads(other)) && !(await leads(decider)), 10_000, 'the lease to move');
  }, 60_000);
});
