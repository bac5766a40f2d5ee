// Targeting, layers and holdbacks end to end: real upstreams, the real proxy and its SQLite file.
// Targeted-out requests are served by control and are not exposures (the client IP is the one behind
// trustedProxies, never an untrusted X-Forwarded-For); two experiments of a layer never share a unit
// over 2,000 keys; a holdback keeps the same units on control after promotion until its release.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { Pool, request } from 'undici';
import type { ExperimentResult } from '../../src/experiments/analysis.js';
import { recordingLogger, tempDir, useServers, type TestFieldlab } from '../helpers/servers.js';

/** Sends one GET per key through `fl` (50 at a time) and returns who served each key. */
async function visit(
  fl: TestFieldlab,
  path: string,
  keys: readonly string[],
  headers: (key: string, i: number) => Record<string, string> = () => ({}),
) {
  const pool = new Pool(fl.url, { connections: 8 });
  const servedBy = new Map<string, string>();
  for (let i = 0; i < keys.length; i += 50) {
    await Promise.all(
      keys.slice(i, i + 50).map(async (key, j) => {
        const res = await pool.request({ path, method: 'GET', headers: { 'x-user': key, ...headers(key, i + j) } });
        servedBy.set(key, await res.body.text());
      }),
    );
  }
  await pool.close();
  return servedBy;
}

async function results(fl: TestFieldlab, route: string): Promise<ExperimentResult> {
  await fl.app.flushExperiments();
  const res = await request(`${fl.adminUrl}/experiments.json?route=${route}`);
  return ((await res.body.json()) as { experiments: ExperimentResult[] }).experiments[0]!;
}

const keys = (n: number, prefix = 'user') => Array.from({ length: n }, (_, i) => `${prefix}-${i}`);

describe('experiment audience', () => {
  const s = useServers();
  const upstreams = async () => {
    const a = await s.upstream('a', (_req, res) => res.end('a'));
    const b = await s.upstream('b', (_req, res) => res.end('b'));
    const checkout = await s.upstream('checkout', (_req, res) => res.end('paid'));
    return `upstreams: { a: ${a.url}, b: ${b.url}, checkout: ${checkout.url} }`;
  };

  it('sends targeted-out requests to control without making them exposures; the IP rule reads the address behind trusted proxies', async () => {
    const ups = await upstreams();
    const yaml = (trusted: string) => `
${trusted}
${ups}
routes:
  - name: product
    match: { path: /product/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    seed: targeting-test
    experiment:
      minUnits: 10
      when: { header: { x-plan: [pro, team] }, ip: 203.0.113.0/24 }
      goals: [{ name: checkout, route: checkout, match: { method: POST, path: /api/checkout } }]
  - name: checkout
    match: { path: /api/* }
    arms: { control: checkout }
`;
    const { logger, lines } = recordingLogger();
    const fl = await s.fieldlab(yaml('trustedProxies: [127.0.0.1/32]'), { logger });
    const users = keys(300);
    // A third are on the free plan; every fifth comes from outside the targeted network.
    const inTarget = (i: number) => i % 3 !== 0 && i % 5 !== 0;
    const headers = (_k: string, i: number) => ({
      'x-plan': i % 3 === 0 ? 'free' : 'pro',
      'x-forwarded-for': i % 5 === 0 ? `198.51.100.${i % 250}` : `203.0.113.${i % 250}`,
    });
    const served = await visit(fl, '/product/1', users, headers);
    const targeted = users.filter((_, i) => inTarget(i));
    // The access log says why a request was left out.
    const access = lines.filter((l) => l.type === 'access' && l.route === 'product');
    expect(access.filter((l) => l.excluded === 'targeting').length).toBe(users.length - targeted.length);
    expect(access.filter((l) => l.excluded === undefined).length).toBe(targeted.length);
    for (const [i, u] of users.entries()) if (!inTarget(i)) expect(served.get(u)).toBe('a');
    const inVariant = targeted.filter((u) => served.get(u) === 'b').length;
    expect(inVariant).toBeGreaterThan(targeted.length * 0.35);
    expect(inVariant).toBeLessThan(targeted.length * 0.65);
    // Everyone checks out, in the experiment or not.
    const pool = new Pool(fl.url, { connections: 8 });
    await Promise.all(
      users.map(async (u, i) =>
        (await pool.request({ path: '/api/checkout', method: 'POST', headers: { 'x-user': u, ...headers(u, i) } })).body.text(),
      ),
    );
    await pool.close();

    const r = await results(fl, 'product');
    expect(r.arms.reduce((n, a) => n + a.units, 0)).toBe(targeted.length);
    expect(r.arms.find((a) => a.arm === 'variant')!.units).toBe(inVariant);
    expect(r.diagnostics.srm.alarm).toBe(false);
    // Targeted-out units check out too: reported, not held against the experiment.
    expect(r.diagnostics.goalTraffic).toMatchObject({ alarm: false, targeted: true, unexposed: users.length - targeted.length });
    expect(r.goals[0]!.arms.reduce((n, a) => n + a.units, 0)).toBe(targeted.length);
    expect(r.alarms).toEqual([]);
    expect(r.audience).toEqual({ targeted: true, layer: null });
    const metrics = await (await request(`${fl.adminUrl}/metrics`)).body.text();
    expect(metrics).toContain(`fieldlab_experiment_excluded_total{route="product",reason="targeting"} ${users.length - targeted.length}`);

    // Without trustedProxies the X-Forwarded-For is the client's claim: the peer (127.0.0.1) is judged.
    const untrusted = await s.fieldlab(yaml(''));
    const again = await visit(untrusted, '/product/1', targeted.slice(0, 40), (k) => headers(k, users.indexOf(k)));
    expect([...again.values()].every((by) => by === 'a')).toBe(true);
    expect((await results(untrusted, 'product')).arms.reduce((n, a) => n + a.units, 0)).toBe(0);
  });

  it('keeps two experiments of one layer apart: over 2,000 keys no unit is exposed in both', async () => {
    const tmp = tempDir();
    s.add({ close: () => tmp.remove() });
    const db = join(tmp.dir, 'layers.db');
    const experiment = (share: number) => `experiment: { minUnits: 10, layer: { name: shop, share: ${share} } }`;
    const fl = await s.fieldlab(`
store: sqlite:${db}
${await upstreams()}
layers: [{ name: shop }]
routes:
  - name: banner
    match: { path: /banner/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    ${experiment(40)}
  - name: search
    match: { path: /search/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    ${experiment(60)}
`);
    const users = keys(2000);
    const banner = await visit(fl, '/banner/1', users);
    const search = await visit(fl, '/search/1', users);
    const [rb, rs] = [await results(fl, 'banner'), await results(fl, 'search')];
    expect([rb.audience.layer, rs.audience.layer]).toEqual([
      { name: 'shop', from: 0, to: 40 },
      { name: 'shop', from: 40, to: 100 },
    ]);
    const unitsOf = (r: ExperimentResult) => r.arms.reduce((n, a) => n + a.units, 0);
    // Every key is in exactly one of the two experiments, about 40/60.
    expect(unitsOf(rb) + unitsOf(rs)).toBe(2000);
    expect(Math.abs(unitsOf(rb) - 800)).toBeLessThan(100);
    const file = new Database(db, { readonly: true });
    const both = file
      .prepare(
        "SELECT count(*) AS n FROM experiment_units b JOIN experiment_units s ON b.unit = s.unit WHERE b.route = 'banner' AND s.route = 'search'",
      )
      .get() as { n: number };
    file.close();
    expect(both.n).toBe(0);
    // Outside its slice a unit gets control; inside, the split decides.
    const variantIn = (served: Map<string, string>) => users.filter((u) => served.get(u) === 'b').length;
    expect(variantIn(banner)).toBe(rb.arms.find((a) => a.arm === 'variant')!.units);
    expect(variantIn(search)).toBe(rs.arms.find((a) => a.arm === 'variant')!.units);
    expect([rb.diagnostics.srm.alarm, rs.diagnostics.srm.alarm]).toEqual([false, false]);
    const metrics = await (await request(`${fl.adminUrl}/metrics`)).body.text();
    expect(metrics).toContain(`fieldlab_experiment_excluded_total{route="banner",reason="layer"} ${2000 - unitsOf(rb)}`);
  });

  it('keeps the holdback on control after promotion — the same units — and releases it with a stored decision', async () => {
    const fl = await s.fieldlab(`
${await upstreams()}
routes:
  - name: checkout
    match: { path: /buy/* }
    arms: { control: a, variant: b }
    sticky: [header:x-user]
    seed: holdback-test
    rollout: { steps: [50, 100], minBake: 1h, holdback: 10%, holdbackFor: 1h }
    experiment: { minUnits: 10 }
`);
    const users = keys(1000);
    const before = await visit(fl, '/buy/1', users);
    const post = await request(`${fl.adminUrl}/routes/checkout/promote`, { method: 'POST', headers: { 'x-fieldlab-actor': 'alice' } });
    expect(((await post.body.json()) as { decisions: { toPercent: number }[] }).decisions[0]!.toPercent).toBe(90);
    const after = await visit(fl, '/buy/1', users);
    const control = (m: Map<string, string>) => users.filter((u) => m.get(u) === 'a');
    // The held-back units were control all along; nobody promoted went back.
    for (const u of control(after)) expect(before.get(u)).toBe('a');
    expect(Math.abs(control(after).length - 100)).toBeLessThan(40);
    const status = async () =>
      (await (await request(`${fl.adminUrl}/status`)).body.json()) as {
        routes: { variants: { percent: number; holdback: { active: boolean; endsAt: string | null; releasedAt: string | null } }[] }[];
        decisions: { action: string; rule: string; toPercent: number }[];
      };
    const held = (await status()).routes[0]!.variants[0]!;
    expect(held).toMatchObject({ percent: 90, holdback: { active: true, releasedAt: null } });
    const r = await results(fl, 'checkout');
    expect(r.diagnostics.srm.alarm).toBe(false);

    // An hour later (the engine's clock, driven here) the holdback is released.
    const decisions = fl.app.guardrails().tick(Date.parse(held.holdback.endsAt!) + 1000);
    expect(decisions.map((d) => `${d.action} ${d.rule} ${d.toPercent}`)).toEqual(['release holdback-elapsed 100']);
    await fl.app.guardrails().idle();
    const released = await status();
    expect(released.routes[0]!.variants[0]).toMatchObject({ percent: 100, holdback: { active: false, endsAt: null } });
    expect(released.routes[0]!.variants[0]!.holdback.releasedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    expect(released.decisions[0]).toMatchObject({ action: 'release', rule: 'holdback-elapsed' });
    expect(control(await visit(fl, '/buy/1', users))).toEqual([]);
    // Ramp 50% → 90% (held) → 100% (released) moved about half the units from control to the
    // variant, each move one the weights explain: no leak, not even one unit.
    const moved = await results(fl, 'checkout');
    expect(moved.diagnostics.leaks).toMatchObject({ alarm: false, units: 0 });
  });
});
