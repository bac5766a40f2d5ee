// Experiments from real traffic: real upstreams, the real proxy and SQLite store. Simulated users
// see the arm they were given (exposeArm) and convert more on the variant; the results show the
// lift with a confidence sequence that excludes zero, the revenue goal sums the checkout response's
// JSON field, and the CLI prints the same. A variant that loses some users' requests raises the SRM
// alarm, goal requests without the sticky key raise the goal-traffic alarm, and a variant upstream
// identical to control raises the null-branch warning.
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { runResults } from '../../src/cli/results.js';
import type { ExperimentResult } from '../../src/experiments/analysis.js';
import { bucketOf } from '../../src/routing/hash.js';
import { mulberry32 } from '../../src/stats/random.js';
import { createTestSchema } from '../helpers/pg.js';
import { useServers } from '../helpers/servers.js';

const config = (shopA: string, shopB: string, checkout: string) => `
upstreams: { a: ${shopA}, b: ${shopB}, checkout: ${checkout} }
routes:
  - name: product
    match: { path: /product/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    seed: exp-test
    exposeArm: true
    experiment:
      minUnits: 100
      window: 10m
      goals:
        - { name: checkout, route: checkout, match: { method: POST, path: /api/checkout } }
        - { name: revenue, kind: value, value: order.total, match: { method: POST, path: /api/checkout, json: { field: state, equals: paid } } }
  - name: checkout
    match: { path: /api/* }
    arms: { control: checkout }
`;

/** Runs `fn` over `items`, `width` at a time. */
async function inBatches<T>(items: readonly T[], width: number, fn: (t: T) => Promise<void>): Promise<void> {
  for (let i = 0; i < items.length; i += width) await Promise.all(items.slice(i, i + width).map(fn));
}

async function results(adminUrl: string, route = 'product'): Promise<ExperimentResult> {
  const res = await request(`${adminUrl}/experiments.json?route=${route}`);
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { experiments: ExperimentResult[] }).experiments[0]!;
}

describe('experiment results from traffic', () => {
  const s = useServers();

  it('a variant that converts more shows a lift whose confidence sequence excludes zero; revenue sums the response field', async () => {
    const shopA = await s.upstream('a', (_req, res) => res.end('page v1'));
    const shopB = await s.upstream('b', (_req, res) => res.end('page v2'));
    const checkout = await s.upstream('checkout', (req, res) => {
      const total = Number(req.headers['x-total']);
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ state: 'paid', order: { total } }));
    });
    const fl = await s.fieldlab(config(shopA.url, shopB.url, checkout.url));
    const rnd = mulberry32(7);
    const users = Array.from({ length: 400 }, (_, i) => ({ id: `user-${i}`, draw: rnd() }));
    const spent = { control: 0, variant: 0 };
    await inBatches(users, 25, async (u) => {
      const page = await request(`${fl.url}/product/42`, { headers: { 'x-user': u.id } });
      await page.body.text();
      const arm = page.headers['x-fieldlab-arm'] as 'control' | 'variant';
      // The variant's page sells: 60% of its users check out, 20% of control's.
      if (u.draw >= (arm === 'variant' ? 0.6 : 0.2)) return;
      const total = arm === 'variant' ? 30 : 20;
      spent[arm] += total;
      const res = await request(`${fl.url}/api/checkout`, { method: 'POST', headers: { 'x-user': u.id, 'x-total': String(total) } });
      expect(await res.body.text()).toContain('paid'); // the tapped response reaches the client whole
    });
    await fl.app.flushExperiments();

    const r = await results(fl.adminUrl);
    expect(r.arms.map((a) => a.units).reduce((a, b) => a + b)).toBe(400);
    expect(r.early).toBe(true);
    expect(r.earlyReasons[0]).toMatch(/^ran \d+s of 7d$/);
    const conv = r.goals.find((g) => g.name === 'checkout')!;
    const lift = conv.lifts[0]!;
    expect(lift.absolute!).toBeGreaterThan(0.25);
    expect(lift.sequential.significant).toBe(true);
    expect(lift.sequential.absolute![0]).toBeGreaterThan(0);
    // Early: the fixed-horizon interval is withheld.
    expect(lift.fixed).toMatchObject({ available: false, absolute: null });
    const revenue = r.goals.find((g) => g.name === 'revenue')!;
    expect(revenue.arms.map((a) => a.total)).toEqual([spent.control, spent.variant]);
    expect(r.vitals.map((v) => v.requests)).toEqual(r.arms.map((a) => a.units));
    // Different pages of the same size: the digests tell the arms apart, so no null branch.
    expect(r.alarms).toEqual([]);
    expect(r.diagnostics.nullBranch!.variants[0]!.endpoints[0]).toMatchObject({ digestDistance: 1, same: false });
    expect(r.diagnostics.goalTraffic).toMatchObject({ withoutKey: 0, unexposed: 0 });

    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t), env: {} };
    expect(await runResults(['product', '--admin', fl.adminUrl], io)).toBe(0);
    expect(out.join('\n')).toMatch(/goal checkout \(conversion on route checkout\)[\s\S]*variant vs control: \+0\.\d+ .*SIGNIFICANT/);
    out.length = 0;
    expect(await runResults(['product', '--json', '--admin', fl.adminUrl], io)).toBe(0);
    expect(JSON.parse(out.join('\n'))).toMatchObject({ route: 'product', goals: [{ name: 'checkout' }, { name: 'revenue' }] });
    expect(await runResults(['nope', '--admin', fl.adminUrl], io)).toBe(2);
    expect(await runResults(['checkout', '--admin', fl.adminUrl], io)).toBe(2);
    expect(out.slice(-2)).toEqual([
      'fieldlab: FL_ROUTE_NOT_FOUND: no route "nope" in the running config',
      'fieldlab: FL_NO_EXPERIMENT: route "checkout" has no experiment:',
    ]);
  });

  it('a variant that drops some users’ requests raises the SRM alarm; goal requests without the sticky key raise goal-traffic', async () => {
    const shopA = await s.upstream('a', (_req, res) => res.end('page v1'));
    // A broken variant: for 40% of its users (by id) the connection is cut before any answer.
    const shopB = await s.upstream('b', (req, res) => {
      if (bucketOf('drop', String(req.headers['x-user'])) < 4000) return req.socket.destroy();
      res.end('page v2');
    });
    const checkout = await s.upstream('checkout', (_req, res) => res.end('{}'));
    const fl = await s.fieldlab(config(shopA.url, shopB.url, checkout.url));
    const users = Array.from({ length: 800 }, (_, i) => `user-${i}`);
    await inBatches(users, 25, async (id) => {
      const res = await request(`${fl.url}/product/1`, { headers: { 'x-user': id } });
      await res.body.text();
    });
    // Checkouts from a client that never sends x-user: unattributable.
    await inBatches(
      Array.from({ length: 120 }, (_, i) => i),
      25,
      async () => void (await (await request(`${fl.url}/api/checkout`, { method: 'POST' })).body.text()),
    );
    await fl.app.flushExperiments();

    const r = await results(fl.adminUrl);
    expect(r.diagnostics.srm.alarm).toBe(true);
    expect(r.diagnostics.srm.pValue).toBeLessThan(0.001);
    expect(r.diagnostics.srm.observed.variant!).toBeLessThan(r.diagnostics.srm.expected.variant! * 0.8);
    expect(r.diagnostics.goalTraffic).toMatchObject({ alarm: true, requests: 120, withoutKey: 120 });
    expect(r.alarms).toEqual(['srm', 'goal-traffic']);
    // Vital signs cover exposed units only: the variant's lost users were never exposed.
    expect(r.vitals[1]!.units).toBe(r.diagnostics.srm.observed.variant);
  });

  it('a variant upstream identical to control raises the null-branch warning', async () => {
    const page = (_req: unknown, res: { setHeader(k: string, v: string): void; end(b: string): void }) => {
      res.setHeader('content-type', 'application/json');
      res.end('{"page":"product","price":12}');
    };
    const shopA = await s.upstream('a', page);
    const shopB = await s.upstream('b', page);
    const checkout = await s.upstream('checkout', (_req, res) => res.end('{}'));
    const fl = await s.fieldlab(config(shopA.url, shopB.url, checkout.url));
    await inBatches(
      Array.from({ length: 300 }, (_, i) => `user-${i}`),
      25,
      async (id) => void (await (await request(`${fl.url}/product/${id.length}`, { headers: { 'x-user': id } })).body.text()),
    );
    await fl.app.flushExperiments();
    // The tap evaluates in a setImmediate after each response ended: before the client can read it.
    const r = await results(fl.adminUrl);
    expect(r.alarms).toEqual(['null-branch']);
    const [variant] = r.diagnostics.nullBranch!.variants;
    expect(variant).toMatchObject({ arm: 'variant', alarm: true });
    expect(variant!.endpoints).toEqual([
      expect.objectContaining({ endpoint: 'GET /product/:id', digestDistance: 0, statusDistance: 0, same: true }),
    ]);
    const out: string[] = [];
    expect(
      await runResults(['product', '--admin', fl.adminUrl], { out: (t) => void out.push(t), err: (t) => void out.push(t), env: {} }),
    ).toBe(0);
    expect(out.join('\n')).toContain(
      'null branch (variant): 1 of 1 endpoints answer exactly like control  ALARM: is the application reading x-fieldlab-arm?',
    );
  });

  it('fleet-wide on PostgreSQL: two replicas expose units and record goals into one set of results', async () => {
    const pgs = await createTestSchema();
    s.add({ close: () => pgs.drop() });
    const shopA = await s.upstream('a', (_req, res) => res.end('page v1'));
    const shopB = await s.upstream('b', (_req, res) => res.end('page v2!'));
    const checkout = await s.upstream('checkout', (_req, res) => res.end('{}'));
    const yaml = `store: ${pgs.url}\n${config(shopA.url, shopB.url, checkout.url)}`;
    const one = await s.fieldlab(yaml);
    const two = await s.fieldlab(yaml);
    const users = Array.from({ length: 200 }, (_, i) => `user-${i}`);
    // Every user is exposed on replica one and checks out on replica two.
    await inBatches(users, 25, async (id) => {
      await (await request(`${one.url}/product/1`, { headers: { 'x-user': id } })).body.text();
      await (await request(`${two.url}/api/checkout`, { method: 'POST', headers: { 'x-user': id } })).body.text();
    });
    await Promise.all([one.app.flushExperiments(), two.app.flushExperiments()]);
    const r = await results(two.adminUrl);
    expect(r.arms.reduce((a, b) => a + b.units, 0)).toBe(200);
    const conv = r.goals.find((g) => g.name === 'checkout')!;
    expect(conv.arms.map((a) => a.mean)).toEqual([1, 1]);
    expect(r.diagnostics.goalTraffic).toMatchObject({ requests: 200, withoutKey: 0, unexposed: 0 });
  });
});
