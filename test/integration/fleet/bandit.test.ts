// A bandit in a fleet of two real replicas on the real PostgreSQL: one replica holds the route's
// bandit lease and decides, once per change; the other follows the stored weights (NOTIFY, poll)
// and never decides; before a change applies both refresh their pins from the store, so a unit
// first seen by the other replica keeps its arm. Killed, the decider's weights stay served by the follower, which takes the
// lease over and decides from then on.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BanditStatus } from '../../../src/experiments/bandit.js';
import { banditYaml, checkOut, type DecisionRow, share, visitAll } from '../../helpers/bandit-traffic.js';
import { createTestSchema, type TestSchema } from '../../helpers/pg.js';
import { type Replica, eventually, startReplica } from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';

describe('fleet: one bandit decider', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let ups: TestUpstream[] = [];
  const replicas: Replica[] = [];

  beforeAll(async () => {
    pgs = await createTestSchema();
    ups = [
      await startUpstream('a', (_q, res) => res.end('page v1')),
      await startUpstream('b', (_q, res) => res.end('page v2')),
      await startUpstream('checkout', (_q, res) => res.end('{"state":"paid"}')),
    ];
    const [a, b, checkout] = ups.map((u) => u.url) as [string, string, string];
    const yaml = banditYaml({ store: pgs.url, a, b, checkout, extra: 'fleet: { lease: 2s, poll: 1s }' });
    for (const id of ['edge-0', 'edge-1']) replicas.push(await startReplica(id, tmp.dir, yaml));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.kill()));
    await Promise.all(ups.map((u) => u.close()));
    await pgs?.drop();
    tmp.remove();
  });

  const bandit = async (r: Replica) => (await r.admin<{ bandits: BanditStatus[] }>('/status?route=product')).body.bandits[0]!;
  const reweights = async (r: Replica) =>
    (await r.admin<{ decisions: DecisionRow[] }>('/decisions.json?route=product')).body.decisions.filter((d) => d.action === 'reweight');

  it('one replica decides and stores each change once; the other serves the same weights; a dead decider is replaced', async () => {
    const urls = replicas.map((r) => r.url);
    const early = Array.from({ length: 300 }, (_, i) => `early-${i}`);
    const first = await visitAll(urls, early);
    // Every early unit's first exposure is stored before any converts (and so before the bandit can
    // change anything): a unit first seen within the flush of a change follows its bucket on the
    // other replica (README: Bandits), and a loaded machine's flush can lag past the decision.
    await eventually(
      async () => {
        const [row] = await pgs.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM "${pgs.schema}".experiment_units WHERE route = 'product'`,
        );
        return row!.n === early.length;
      },
      20_000,
      'every early unit stored',
    );
    await checkOut(urls, early, first, 5);

    // Both replicas serve the bandit's ≥ 90% (the follower by adopting the decider's stored row).
    const [s0, s1] = await eventually(
      async () => {
        const s = await Promise.all(replicas.map(bandit));
        return s.every((x) => x.phase === 'thompson' && (x.arms[1]?.percent ?? 0) >= 90) ? s : undefined;
      },
      20_000,
      'both replicas at ≥ 90%',
    );
    expect([s0!.role, s1!.role].sort()).toEqual(['decider', 'follower']);
    const decider = s0!.role === 'decider' ? replicas[0]! : replicas[1]!;
    const follower = decider === replicas[0] ? replicas[1]! : replicas[0]!;
    await new Promise((res) => setTimeout(res, 3000));
    const stored = (await reweights(follower)).reverse();
    // One decision per change, by one replica: with a bandit per replica each stored its own.
    expect(new Set(stored.map((d) => `${d.fromPercent}→${d.toPercent}`)).size).toBe(stored.length);
    for (let i = 1; i < stored.length; i++) expect(stored[i]!.fromPercent).toBe(stored[i - 1]!.toPercent);
    const served = stored[stored.length - 1]!.toPercent;
    expect((await bandit(follower)).arms[1]!.percent).toBe(served);
    // Every early unit, now visited on the replica that did NOT first see it, keeps its arm: both
    // refreshed their pins from the store's first exposures before applying the change.
    expect(await visitAll([...urls].reverse(), early)).toEqual(first);
    const fresh = await visitAll(
      [follower.url],
      Array.from({ length: 200 }, (_, i) => `late-${i}`),
    );
    expect(share(fresh, 'variant')).toBeGreaterThan(0.85);
    const leases = await pgs.query<{ route: string; replica: string }>(`SELECT route, replica FROM "${pgs.schema}".fleet_leases`);
    expect(leases).toContainEqual({ route: 'bandit:product', replica: decider.id });
    // GET /fleet: the bandit's row is applied by both replicas (no replica reported behind).
    await eventually(
      async () => {
        const v = (await follower.admin<{ routes: { route: string; behind: string[] }[] }>('/fleet')).body;
        return v.routes.find((r) => r.route === 'bandit:product')?.behind.length === 0;
      },
      10_000,
      'no replica behind on bandit:product',
    );

    // The decider dies without handing anything over: the follower keeps serving its weights at
    // once, and takes the lease over once it expires (2 s).
    await decider.kill();
    const after = await visitAll(
      [follower.url],
      Array.from({ length: 200 }, (_, i) => `orphan-${i}`),
    );
    expect(share(after, 'variant')).toBeGreaterThan(0.85);
    await eventually(async () => (await bandit(follower)).role === 'decider', 15_000, 'the follower takes the bandit lease');
    expect((await bandit(follower)).arms[1]!.percent).toBeGreaterThanOrEqual(90);
    // The new decider may move the weights on its own updates (more units have converted since), but
    // what it stores continues the one chain: no change is stored twice, none starts from a stale percent.
    const chain = (await reweights(follower)).reverse();
    expect(chain.slice(0, stored.length)).toEqual(stored);
    expect(new Set(chain.map((d) => `${d.fromPercent}→${d.toPercent}`)).size).toBe(chain.length);
    for (let i = 1; i < chain.length; i++) expect(chain[i]!.fromPercent).toBe(chain[i - 1]!.toPercent);
  }, 60_000);
});
