// Experiments under `fieldlab start --workers 2`, as real processes: a variant upstream identical to
// control raises the null-branch warning on the primary (which serves no traffic), because every
// worker sends it the responses its check observed; units and the SRM test come from the one store.
// A ramp and a rollback applied by both workers move units between arms without a leak alarm.
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentResult } from '../../src/experiments/analysis.js';
import { type Replica, eventually, startReplica } from '../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';

describe('experiments with --workers 2', () => {
  const tmp = tempDir();
  let a: TestUpstream, b: TestUpstream, r: Replica | undefined, r2: Replica | undefined;

  beforeAll(async () => {
    const page = (_req: unknown, res: { setHeader(k: string, v: string): void; end(b: string): void }) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"page":"product","price":12}');
    };
    a = await startUpstream('a', page);
    b = await startUpstream('b', page);
  });
  afterAll(async () => {
    await r?.kill();
    await r2?.kill();
    await Promise.all([a.close(), b.close()]);
    tmp.remove();
  });

  it('the null-branch check covers every worker: an identical variant raises it on the primary', async () => {
    r = await startReplica(
      'exp',
      tmp.dir,
      ({ listen, admin }) => `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: sqlite:${join(tmp.dir, 'exp.db')}
upstreams: { a: ${a.url}, b: ${b.url} }
routes:
  - name: product
    match: { path: /product/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    experiment: { goals: [] }
`,
      {},
      ['--workers', '2'],
    );
    const replica = r;
    const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
    for (let i = 0; i < users.length; i += 20) {
      await Promise.all(
        users.slice(i, i + 20).map(async (u) => {
          const res = await request(`${replica.url}/product/1`, { headers: { 'x-user': u }, reset: true });
          await res.body.text();
        }),
      );
    }
    const x = await eventually(
      async () => {
        const body = (await replica.admin<{ experiments: ExperimentResult[] }>('/experiments.json?route=product')).body;
        const e = body.experiments[0]!;
        return e.alarms.includes('null-branch') && e.arms.reduce((n, arm) => n + arm.units, 0) === users.length ? e : undefined;
      },
      15_000,
      'the null-branch alarm on the primary',
    );
    const [variant] = x.diagnostics.nullBranch!.variants;
    expect(variant!.endpoints).toEqual([expect.objectContaining({ endpoint: 'GET /product/:id', same: true })]);
    // Both workers served (the primary alone has no traffic to observe).
    const metrics = await (await request(`${replica.adminUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/fieldlab_requests_total\{worker="1",route="product"/);
    expect(metrics).toMatch(/fieldlab_requests_total\{worker="2",route="product"/);
    expect(metrics).toMatch(/fieldlab_worker_ipc_dropped_total\{worker="primary",kind="live"\} 0/);
  });

  it('a ramp 10% → 50% → rollback across two workers moves units without a leak', async () => {
    const arm = (name: string) => (_req: unknown, res: { end(b: string): void }) => res.end(name);
    const [ca, cb] = [await startUpstream('ca', arm('a')), await startUpstream('cb', arm('b'))];
    try {
      r2 = await startReplica(
        'ramp',
        tmp.dir,
        ({ listen, admin }) => `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: sqlite:${join(tmp.dir, 'ramp.db')}
upstreams: { a: ${ca.url}, b: ${cb.url} }
routes:
  - name: shop
    match: { path: /shop/* }
    arms: { control: a, variant: b }
    sticky: [header:x-user]
    rollout: { steps: [10, 50], minBake: 1h }
    experiment: { goals: [] }
`,
        {},
        ['--workers', '2'],
      );
      const replica = r2;
      const users = Array.from({ length: 400 }, (_, i) => `user-${i}`);
      // Every user once; resolves to how many the variant served.
      const visit = async () => {
        let variant = 0;
        for (let i = 0; i < users.length; i += 20) {
          const got = await Promise.all(
            users
              .slice(i, i + 20)
              .map(async (u) => await (await request(`${replica.url}/shop/1`, { headers: { 'x-user': u }, reset: true })).body.text()),
          );
          variant += got.filter((g) => g === 'b').length;
        }
        return variant;
      };
      const act = async (action: string) => {
        const res = await request(`${replica.adminUrl}/routes/shop/${action}`, { method: 'POST' });
        expect(res.statusCode).toBe(200);
        await res.body.text();
      };
      const low = await visit();
      await act('promote');
      // Both workers applied 50% once about half the users get the variant.
      const high = await eventually(
        async () => ((n) => (n > 150 ? n : undefined))(await visit()),
        15_000,
        'the step to 50% in every worker',
      );
      await act('rollback');
      await eventually(async () => (await visit()) === 0, 15_000, 'the rollback in every worker');
      expect(low).toBeLessThan(80);
      expect(high - low).toBeGreaterThan(80); // units moved control → variant, then all back
      const e = await eventually(
        async () => {
          const body = (await replica.admin<{ experiments: ExperimentResult[] }>('/experiments.json?route=shop')).body;
          const x = body.experiments[0]!;
          return x.arms.reduce((n, arm) => n + arm.units, 0) === users.length ? x : undefined;
        },
        15_000,
        'every unit exposed',
      );
      expect(e.diagnostics.leaks).toMatchObject({ alarm: false, units: 0 });
    } finally {
      await Promise.all([ca.close(), cb.close()]);
    }
  });
});
