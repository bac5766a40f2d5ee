// kill -9 of the deciding replica: another replica decides within 10 s, resumes from the
// checkpoint so no flushed second of evidence is lost or counted twice, the next decision is made
// once, and the killed replica, restarted, resumes the fleet's state.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../../helpers/pg.js';
import {
  type Replica,
  type ReplicaPorts,
  driveReplicas,
  eventually,
  fleetYaml,
  replicaEvidence,
  settledEvidence,
  startReplica,
} from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';

interface FleetBody {
  self: { replica: string; leads: string[]; applied: Record<string, { seq: number }> };
}
interface StatusBody {
  routes: { variants: { percent: number; phase: string; evidence: { variant: { requests: number }; control: { requests: number } } }[] }[];
}

describe('fleet: decider failover', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let control: TestUpstream, variant: TestUpstream;
  let failing = false;
  const replicas = new Map<string, Replica>();
  let yaml: (p: ReplicaPorts) => string;

  beforeAll(async () => {
    pgs = await createTestSchema();
    control = await startUpstream('control', (_q, res) => res.setHeader('x-served-by', 'control').end('ok'));
    variant = await startUpstream('variant', (_q, res) => {
      res.setHeader('x-served-by', 'variant');
      res.statusCode = failing ? 500 : 200;
      res.end();
    });
    // A generous grace: this test is about failover losing nothing, not about how late a replica on a
    // loaded machine may flush before the decider moves on without it (README: Limits).
    yaml = fleetYaml({ store: pgs.url, control: control.url, variant: variant.url, extra: 'fleet: { grace: 10s }' });
    for (const id of ['edge-0', 'edge-1', 'edge-2']) replicas.set(id, await startReplica(id, tmp.dir, yaml));
  });
  afterAll(async () => {
    await Promise.all([...replicas.values()].map((r) => r.stop()));
    await Promise.all([control.close(), variant.close()]);
    await pgs?.drop();
    tmp.remove();
  });

  const drive = (to: Replica[], n: number, from: number) => driveReplicas(to, n, from);
  /**
   * The replica the database says holds checkout's lease, once its own /fleet agrees. On a loaded
   * machine a replica whose renewal is stuck on a slow query still reports `leads` while another has
   * taken the lease over, so the first replica claiming to lead was not always the decider.
   */
  const decider = async (): Promise<{ r: Replica; epoch: number } | undefined> => {
    const [row] = await pgs.query<{ replica: string; epoch: number }>(
      `SELECT replica, epoch::int AS epoch FROM "${pgs.schema}".fleet_leases WHERE route = 'checkout' AND expires_at > now()`,
    );
    const r = row ? replicas.get(row.replica) : undefined;
    const f = await r?.admin<FleetBody>('/fleet').catch(() => undefined);
    return r && f?.body.self.leads.includes('checkout') ? { r, epoch: row!.epoch } : undefined;
  };
  const evidence = replicaEvidence;
  /** The decider once it holds `n` requests of evidence (whoever decides by then). */
  const deciderWith = (n: number, what: string) =>
    eventually(
      async () => {
        const d = await decider();
        return d && (await evidence(d.r)) === n ? d : undefined;
      },
      20_000,
      what,
    ).catch(async (err: Error) => {
      // What each replica saw, for a failure on a loaded machine.
      const seen = await Promise.all(
        [...replicas.values()].map(async (r) => ({
          id: r.id,
          leads: (await r.admin<FleetBody>('/fleet').catch(() => undefined))?.body.self.leads,
          evidence: await evidence(r).catch(() => undefined),
          log: r.output().slice(-4),
        })),
      );
      const lease = await pgs.query(`SELECT replica, epoch, expires_at, through FROM "${pgs.schema}".fleet_leases`);
      // What the store holds: requests per replica and second (the decider sums these up to its watermark).
      const stored = await pgs.query(
        `SELECT r.replica, e.second::int AS second, sum((a.value->>'requests')::int)::int AS requests
           FROM "${pgs.schema}".fleet_evidence e
           JOIN "${pgs.schema}".fleet_replicas r ON r.instance = e.instance,
           LATERAL jsonb_each(e.arms) a
          GROUP BY r.replica, e.second ORDER BY e.second, r.replica`,
      );
      const seenBy = await pgs.query(`SELECT replica, evidence_through, last_seen FROM "${pgs.schema}".fleet_replicas`);
      throw new Error(
        `${err.message}; replicas ${JSON.stringify(seen)}; lease ${JSON.stringify(lease)}; stored ${JSON.stringify(stored)}; beats ${JSON.stringify(seenBy)}`,
      );
    });

  it('another replica decides within 10 s, with every flushed second of evidence, and decides once', async () => {
    const first = await eventually(decider, 10_000, 'a decider');
    const others = () => [...replicas.values()].filter((r) => r !== first.r);
    // Counted from what the decider holds after a first trickle of traffic (a warm-up: before replicas
    // beat before ready, a loaded machine's first second went missing; fleet/join.ts, Fleet.first).
    await drive([...replicas.values()], 30, 900_000);
    const base = await settledEvidence(first.r);
    await drive([...replicas.values()], 600, 0);
    await drive(others(), 300, 1000);
    // The victim's own seconds are flushed before it dies (kill -9 loses what it has not flushed, at
    // most its last second, on a machine that keeps up; a fixed 2 s wait missed that on a loaded one).
    const victim = await deciderWith(base + 900, `the decider to have all ${base} + 900 requests before it dies`);
    const killedAt = Date.now();
    await victim.r.kill();
    replicas.delete(victim.r.id);
    const next = await eventually(decider, 10_000, 'a new decider');
    expect(Date.now() - killedAt).toBeLessThan(10_000);
    expect(next.r.id).not.toBe(victim.r.id);
    expect(next.epoch).toBeGreaterThan(victim.epoch);
    // Everything every replica served before and after the failover is in the new decider's evidence, once.
    const live = [...replicas.values()];
    await drive(live, 300, 2000);
    const settled = await deciderWith(base + 1200, `the new decider to have all ${base} + 1200 requests`);
    await new Promise((r) => setTimeout(r, 2000));
    expect(await evidence(settled.r)).toBe(base + 1200);

    failing = true;
    await drive(live, 600, 3000);
    const rows = await eventually(
      async () => {
        const r = await pgs.query<{ seq: number; replica: string; epoch: number }>(
          `SELECT seq::int AS seq, replica, epoch::int AS epoch FROM "${pgs.schema}".fleet_decisions`,
        );
        return r.length > 0 && r;
      },
      15_000,
      'the rollback',
    );
    await new Promise((r) => setTimeout(r, 2000));
    const all = await pgs.query(`SELECT seq FROM "${pgs.schema}".fleet_decisions`);
    expect(all).toHaveLength(1);
    // Decided once, by a replica that took over from the victim (one takeover when the machine keeps
    // up; a loaded one may hand the lease on again, which must not decide twice either).
    expect(rows[0]!.replica).not.toBe(victim.r.id);
    expect(rows[0]!.epoch).toBeGreaterThanOrEqual(victim.epoch + 1);

    // The killed replica comes back (same name, new instance) and resumes the fleet's state.
    const back = await startReplica(victim.r.id, tmp.dir, yaml);
    replicas.set(back.id, back);
    await eventually(
      async () => (await back.admin<FleetBody>('/fleet')).body.self.applied.checkout?.seq === rows[0]!.seq,
      10_000,
      'the restarted replica to apply the rollback',
    );
    const v = (await back.admin<StatusBody>('/status')).body.routes[0]!.variants[0]!;
    expect([v.percent, v.phase]).toEqual([0, 'rolled-back']);
  }, 90_000);
});
