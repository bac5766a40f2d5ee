// A healthy rollout steps in lockstep across three replicas: traffic spread over all of them, the
// decider sums their evidence, and every step is decided once (one decision row, one webhook naming
// the decider and the sequence number). A sampler polls each replica's /status throughout: every
// replica shows every step within the propagation bound, and all show a step before the next one
// is decided.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool } from 'undici';
import { createTestSchema, type TestSchema } from '../../helpers/pg.js';
import { type Replica, eventually, fleetYaml, startReplica } from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';

interface StatusBody {
  routes: { variants: { percent: number; phase: string }[] }[];
}
interface FleetBody {
  self: { applied: Record<string, { seq: number }> };
  routes: { route: string; seq: number; behind: string[] }[];
}
interface Hook {
  action: string;
  toPercent: number;
  fleet: { seq: number; replica: string; epoch: number };
}
interface Row {
  seq: number;
  replica: string;
  at: number;
  decisions: { action: string; toPercent: number }[];
}

/**
 * From a decision to the last replica showing it: NOTIFY takes milliseconds and the poll (2 s) is
 * the fallback; the rest is slack for a loaded machine.
 */
const PROPAGATION_BOUND_MS = 5000;
const STEPS = [10, 25, 50, 100];

describe('fleet: a healthy rollout in lockstep', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let control: TestUpstream, variant: TestUpstream, hook: TestUpstream;
  const hooks: Hook[] = [];
  const replicas: Replica[] = [];

  beforeAll(async () => {
    pgs = await createTestSchema();
    control = await startUpstream('control', (_q, res) => res.end('ok'));
    variant = await startUpstream('variant', (_q, res) => res.end('ok'));
    hook = await startUpstream('hook', (req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        hooks.push(JSON.parse(body) as Hook);
        res.end();
      });
    });
    const yaml = fleetYaml({
      store: pgs.url,
      control: control.url,
      variant: variant.url,
      // minBake well above the propagation time: the test checks lockstep, not a race.
      rollout: `{ steps: [${STEPS.join(', ')}], minBake: 3s }`,
      guardrails: `{ slo: { availability: 50% }, minSamples: 20, webhook: ${hook.url}/hook }`,
    });
    replicas.push(...(await Promise.all(['edge-0', 'edge-1', 'edge-2'].map((id) => startReplica(id, tmp.dir, yaml)))));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([control.close(), variant.close(), hook.close()]);
    await pgs?.drop();
    tmp.remove();
  });

  it('decides each step once and every replica applies it before the next', async () => {
    // Load: new users round-robin over the replicas until the rollout is promoted everywhere.
    const pools = replicas.map((r) => new Pool(r.url, { connections: 3 }));
    const served = replicas.map(() => 0);
    let running = true;
    let user = 0;
    const load = Promise.all(
      Array.from({ length: 9 }, async (_, w) => {
        while (running) {
          const i = w % pools.length;
          const res = await pools[i]!.request({ path: '/buy', method: 'GET', headers: { 'x-user-id': `u${user++}` } });
          await res.body.text();
          served[i]!++;
        }
      }),
    );
    // Sampler: when each replica was first seen at each weight (the time its /status answered).
    const firstSeen = replicas.map(() => new Map<number, number>());
    let sampling = true;
    const sampler = (async () => {
      // One full round after sampling stops: the promotion check below and this sampler poll
      // independently, so without it a replica that reached 100% after the last round is never seen there.
      for (let last = false; !last; ) {
        last = !sampling;
        await Promise.all(
          replicas.map(async (r, i) => {
            const s = await r.admin<StatusBody>('/status');
            const v = s.body.routes[0]!.variants[0]!;
            if (!firstSeen[i]!.has(v.percent)) firstSeen[i]!.set(v.percent, Date.now());
          }),
        );
        if (!last) await new Promise((r) => setTimeout(r, 50));
      }
    })();
    try {
      await eventually(
        async () => {
          const views = await Promise.all(replicas.map((r) => r.admin<StatusBody>('/status')));
          return views.every((v) => v.body.routes[0]!.variants[0]!.phase === 'promoted');
        },
        120_000,
        'the rollout to be promoted on every replica',
      );
    } finally {
      running = false;
      sampling = false;
      await Promise.all([load, sampler]);
      await Promise.all(pools.map((p) => p.close()));
    }
    for (const n of served) expect(n).toBeGreaterThan(100);

    // One decision row per step, in order.
    const rows = await pgs.query<Row>(
      `SELECT seq::int AS seq, replica, at::float8 AS at, decisions FROM "${pgs.schema}".fleet_decisions ORDER BY seq`,
    );
    expect(rows.map((r) => r.decisions.map((d) => `${d.action} ${d.toPercent}`))).toEqual([['step 25'], ['step 50'], ['promote 100']]);
    // One webhook per decision, naming the decider and the sequence number (late duplicates would show here).
    await new Promise((r) => setTimeout(r, 1500));
    expect(hooks.map((h) => ({ action: h.action, to: h.toPercent, seq: h.fleet.seq, replica: h.fleet.replica }))).toEqual(
      rows.map((r) => ({ action: r.decisions[0]!.action, to: r.decisions[0]!.toPercent, seq: r.seq, replica: r.replica })),
    );

    rows.forEach((row, k) => {
      const weight = row.decisions[0]!.toPercent;
      for (const [i, seen] of firstSeen.entries()) {
        const at = seen.get(weight);
        expect(at, `${replicas[i]!.id} never showed ${weight}%`).toBeDefined();
        expect(at! - row.at, `${replicas[i]!.id}: decision seq ${row.seq} → applied`).toBeLessThanOrEqual(PROPAGATION_BOUND_MS);
        // Lockstep: every replica showed this step before the next one was decided.
        const next = rows[k + 1];
        if (next) expect(at!, `${replicas[i]!.id} showed ${weight}% only after seq ${next.seq}`).toBeLessThan(next.at);
      }
    });
    // And the fleet view agrees: everyone applied the last decision, nobody is behind.
    const last = rows.at(-1)!;
    for (const r of replicas) {
      const f = (await r.admin<FleetBody>('/fleet')).body;
      expect(f.self.applied.checkout?.seq).toBe(last.seq);
      expect(f.routes.find((x) => x.route === 'checkout')).toMatchObject({ seq: last.seq, behind: [] });
    }
  }, 150_000);
});
