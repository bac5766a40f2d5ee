// A replica that stalls longer than the 3 s liveness window but within `fleet.grace` (a loaded
// machine, a slow database; here a SIGSTOP of 5 s) still holds the decider back: what it flushes late
// is summed. Before the fix, the decider went on without it after 3 s and its last seconds were lost.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../../helpers/pg.js';
import {
  type Replica,
  driveReplicas,
  eventually,
  fleetYaml,
  replicaEvidence,
  settledEvidence,
  startReplica,
} from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';

interface FleetBody {
  self: { leads: string[] };
}

describe('fleet: a stalled replica within the grace', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let control: TestUpstream, variant: TestUpstream;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    pgs = await createTestSchema();
    control = await startUpstream('control', (_q, res) => res.end('ok'));
    variant = await startUpstream('variant', (_q, res) => res.end('ok'));
    const yaml = fleetYaml({ store: pgs.url, control: control.url, variant: variant.url, extra: 'fleet: { grace: 15s }' });
    for (const id of ['edge-0', 'edge-1', 'edge-2']) replicas.push(await startReplica(id, tmp.dir, yaml));
  });
  afterAll(async () => {
    for (const r of replicas) r.proc.kill('SIGCONT');
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([control.close(), variant.close()]);
    await pgs?.drop();
    tmp.remove();
  });

  const drive = (to: Replica[], n: number, from: number) => driveReplicas(to, n, from, 10);
  const decider = async () => {
    const [row] = await pgs.query<{ replica: string }>(
      `SELECT replica FROM "${pgs.schema}".fleet_leases WHERE route = 'checkout' AND expires_at > now()`,
    );
    const r = replicas.find((x) => x.id === row?.replica);
    const f = await r?.admin<FleetBody>('/fleet').catch(() => undefined);
    return r && f?.body.self.leads.includes('checkout') ? r : undefined;
  };
  const evidence = replicaEvidence;
  let attempt = 0;

  it('sums the seconds it flushes after 5 s stopped', async () => {
    // Counted from what the decider holds when the attempt starts (a retry runs on the same replicas).
    const from = 100_000 * ++attempt;
    const d = await eventually(decider, 15_000, 'a decider');
    // A first trickle (a warm-up; see the failover test).
    await drive(replicas, 30, from + 50_000);
    const before = await settledEvidence(d);
    const stalled = replicas.find((r) => r !== d)!;
    // Its last requests are in its unflushed second when it stops.
    await drive(replicas, 300, from);
    stalled.proc.kill('SIGSTOP');
    await new Promise((r) => setTimeout(r, 5000));
    stalled.proc.kill('SIGCONT');
    await drive(
      replicas.filter((r) => r !== stalled),
      100,
      from + 1000,
    );
    await eventually(async () => (await evidence(d)) === before + 400, 30_000, `the decider to hold ${before} + 400 requests`);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await evidence(d)).toBe(before + 400);
  }, 90_000);
});
