// A bandit under `fieldlab start --workers 2`, as real processes on one SQLite file: the primary
// is the one decider — it reads the results, stores each change once, and sends the weights to
// both workers, which route new units by them and never update themselves.
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { BanditStatus } from '../../src/experiments/bandit.js';
import { banditYaml, checkOut, type DecisionRow, share, visitAll } from '../helpers/bandit-traffic.js';
import { type Replica, eventually, startReplica } from '../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';

describe('a bandit with --workers 2', () => {
  const tmp = tempDir();
  let ups: TestUpstream[] = [];
  let r: Replica | undefined;

  beforeAll(async () => {
    ups = [
      await startUpstream('a', (_q, res) => res.end('page v1')),
      await startUpstream('b', (_q, res) => res.end('page v2')),
      await startUpstream('checkout', (_q, res) => res.end('{"state":"paid"}')),
    ];
  });
  afterAll(async () => {
    await r?.kill();
    await Promise.all(ups.map((u) => u.close()));
    tmp.remove();
  });

  it('the primary decides once per change and both workers serve its weights', async () => {
    const [a, b, checkout] = ups.map((u) => u.url) as [string, string, string];
    r = await startReplica('bandit', tmp.dir, banditYaml({ store: `sqlite:${join(tmp.dir, 'b.db')}`, a, b, checkout }), {}, [
      '--workers',
      '2',
    ]);
    const fl = r;
    const early = Array.from({ length: 300 }, (_, i) => `early-${i}`);
    const first = await visitAll([fl.url], early);
    await checkOut([fl.url], early, first, 5);

    const bandit = await eventually(
      async () => {
        const s = (await fl.admin<{ bandits: BanditStatus[] }>('/status?route=product')).body.bandits[0];
        return s?.phase === 'thompson' && (s.arms[1]?.percent ?? 0) >= 90 ? s : undefined;
      },
      20_000,
      'the bandit at ≥ 90%',
    );
    expect(bandit.role).toBe('decider');
    // A few more updates (every: 1s) that move nothing: nobody stores anything more.
    await new Promise((res) => setTimeout(res, 3000));
    const { decisions } = (await fl.admin<{ decisions: DecisionRow[] }>('/decisions.json?route=product')).body;
    const reweights = decisions.filter((d) => d.action === 'reweight').reverse();
    // One decision per change: with a bandit per process, each worker (and the primary) stored its own.
    expect(new Set(reweights.map((d) => `${d.fromPercent}→${d.toPercent}`)).size).toBe(reweights.length);
    for (let i = 1; i < reweights.length; i++) expect(reweights[i]!.fromPercent).toBe(reweights[i - 1]!.toPercent);
    const served = reweights[reweights.length - 1]!.toPercent;

    // Early units keep their arm on whichever worker the new connection lands.
    expect(await visitAll([fl.url], early)).toEqual(first);
    const fresh = await visitAll(
      [fl.url],
      Array.from({ length: 300 }, (_, i) => `late-${i}`),
    );
    expect(share(fresh, 'variant')).toBeGreaterThan(0.85);
    const metrics = await (await request(`${fl.adminUrl}/metrics`)).body.text();
    for (const w of ['1', '2']) {
      // Both workers served, route with the primary's weights, and never updated themselves.
      expect(metrics).toMatch(new RegExp(`fieldlab_requests_total\\{worker="${w}",route="product"`));
      expect(metrics).toContain(`fieldlab_bandit_weight{worker="${w}",route="product",arm="variant"} ${served}\n`);
      expect(metrics).toContain(`fieldlab_bandit_updates_total{worker="${w}",route="product",outcome="applied"} 0\n`);
      expect(metrics).toContain(`fieldlab_bandit_updates_total{worker="${w}",route="product",outcome="no-results"} 0\n`);
    }
    expect(metrics).toMatch(/fieldlab_bandit_updates_total\{worker="primary",route="product",outcome="applied"\} [1-9]/);
  }, 60_000);
});
