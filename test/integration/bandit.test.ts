// A bandit with real upstreams, the real proxy and its SQLite store: the variant's page converts
// more on the checkout route; after an update Thompson sampling sends most new units to the
// variant while every unit seen before keeps its arm, the change is a stored decision with its
// posteriors on /status and in `fieldlab status`, and a guardrail rollback takes the arm out.
import { describe, expect, it } from 'vitest';
import { request } from 'undici';
import { runStatus } from '../../src/cli/control.js';
import type { BanditStatus } from '../../src/experiments/bandit.js';
import { mulberry32 } from '../../src/stats/random.js';
import { useServers } from '../helpers/servers.js';
import type { TestFieldlab } from '../helpers/servers.js';

const config = (shopA: string, shopB: string, checkout: string) => `
upstreams: { a: ${shopA}, b: ${shopB}, checkout: ${checkout} }
routes:
  - name: product
    match: { path: /product/* }
    arms: { control: a, variant: b }
    split: { variant: 10 }
    sticky: [header:x-user]
    seed: bandit-test
    exposeArm: true
    guardrails: {}
    experiment:
      window: 10m
      goals: [{ name: checkout, route: checkout, match: { method: POST, path: /api/checkout } }]
      allocation: bandit
      bandit: { goal: checkout, every: 1h, floor: 5%, burnIn: 0s }
  - name: checkout
    match: { path: /api/* }
    arms: { control: checkout }
`;

type Arm = 'control' | 'variant';
interface StatusBody {
  bandits: BanditStatus[];
  routes: { route: string; variants: { arm: string; percent: number; phase: string }[] }[];
  decisions: { route: string; arm: string; action: string; rule: string; fromPercent: number; toPercent: number; evidence: unknown }[];
}

async function visit(fl: TestFieldlab, user: string): Promise<Arm> {
  const page = await request(`${fl.url}/product/1`, { headers: { 'x-user': user } });
  await page.body.text();
  return page.headers['x-fieldlab-arm'] as Arm;
}

async function visitAll(fl: TestFieldlab, users: readonly string[]): Promise<Arm[]> {
  const arms: Arm[] = [];
  for (let i = 0; i < users.length; i += 25) arms.push(...(await Promise.all(users.slice(i, i + 25).map((u) => visit(fl, u)))));
  return arms;
}

/** The variant's page sells: 60% of its users check out, 10% of control's; stored before it returns. */
async function checkOut(fl: TestFieldlab, users: readonly string[], arms: readonly Arm[], rnd: () => number): Promise<void> {
  await Promise.all(
    users.map(async (u, i) => {
      if (rnd() >= (arms[i] === 'variant' ? 0.6 : 0.1)) return;
      const res = await request(`${fl.url}/api/checkout`, { method: 'POST', headers: { 'x-user': u } });
      await res.body.text();
    }),
  );
  await fl.app.flushExperiments();
}

async function status(fl: TestFieldlab): Promise<StatusBody> {
  const res = await request(`${fl.adminUrl}/status?route=product`);
  expect(res.statusCode).toBe(200);
  return (await res.body.json()) as StatusBody;
}

/** Updates until `done` holds: the results cache (≤ 1 s) and the runtime's own first tick may lag. */
async function until(fl: TestFieldlab, done: (s: StatusBody) => boolean): Promise<StatusBody> {
  for (let i = 0; i < 100; i++) {
    await fl.app.bandits().tick(true);
    const s = await status(fl);
    if (done(s)) return s;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`condition not met: ${JSON.stringify(await status(fl))}`);
}

const percentOf = (s: StatusBody, arm: Arm) => s.bandits[0]?.arms.find((a) => a.arm === arm)?.percent ?? -1;
const share = (arms: readonly Arm[], arm: Arm) => arms.filter((a) => a === arm).length / arms.length;

describe('bandit allocation', () => {
  const s = useServers();

  async function start() {
    const shopA = await s.upstream('a', (_req, res) => res.end('page v1'));
    const shopB = await s.upstream('b', (_req, res) => res.end('page v2'));
    const checkout = await s.upstream('checkout', (_req, res) => res.end('{"state":"paid"}'));
    return s.fieldlab(config(shopA.url, shopB.url, checkout.url));
  }

  it('shifts new units toward the better-converting arm while units already assigned stay on theirs', async () => {
    const fl = await start();
    const early = Array.from({ length: 300 }, (_, i) => `early-${i}`);
    // Burn-in (no exposure yet): equal weights, whatever the config's split says.
    const first = await visitAll(fl, early);
    expect(share(first, 'variant')).toBeGreaterThan(0.35);
    expect(share(first, 'variant')).toBeLessThan(0.65);
    await checkOut(fl, early, first, mulberry32(5));

    const st = await until(fl, (x) => x.bandits[0]?.phase === 'thompson' && percentOf(x, 'variant') >= 90);
    const b = st.bandits[0]!;
    expect(b.arms.map((a) => a.arm)).toEqual(['control', 'variant']);
    // The posteriors are the stored results: Beta(1 + conversions, 1 + misses) over all 300 units.
    expect(b.arms.reduce((n, a) => n + a.alpha + a.beta - 2, 0)).toBe(300);
    expect(b.arms[1]!.pBest).toBeGreaterThan(0.99);
    // The floor plus control's share of the rest by its P(best): 5% when no Thompson draw favoured it.
    // The draws' seed is random per process, so a draw or two may (seen: 5.02%, from P(best) 0.0002).
    expect(percentOf(st, 'control')).toBeGreaterThanOrEqual(5);
    expect(percentOf(st, 'control')).toBeCloseTo(5 + 90 * b.arms[0]!.pBest, 1);
    const d = st.decisions.find((x) => x.rule === 'bandit-thompson')!;
    expect(d).toMatchObject({ route: 'product', arm: 'variant', action: 'reweight' });
    // At most 95 (control keeps its floor), at least 90 (what `until` waited for).
    expect(d.toPercent).toBeGreaterThanOrEqual(90);
    expect(d.toPercent).toBeLessThanOrEqual(95);
    expect(d.evidence).toMatchObject({
      goal: 'checkout',
      phase: 'thompson',
      floor: 5,
      posteriors: [{ arm: 'control' }, { arm: 'variant' }],
    });

    // Units seen before keep their arm — control's users too, though control now gets 5% of new units.
    expect(await visitAll(fl, early)).toEqual(first);
    const fresh = await visitAll(
      fl,
      Array.from({ length: 300 }, (_, i) => `late-${i}`),
    );
    expect(share(fresh, 'variant')).toBeGreaterThan(0.85);

    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t), env: {} };
    expect(await runStatus(['--route', 'product', '--admin', fl.adminUrl], io)).toBe(0);
    expect(out.join('\n')).toMatch(
      /bandit product on goal checkout: thompson \(updated 20\d\d-[\s\S]*variant\s+95%.*P\(best\) (?:0\.99\d|1\.000)/,
    );
    expect(out.join('\n')).toMatch(/product\/variant {2}reweight [\d.]+% → 95% {2}\[bandit-thompson\]/);
  });

  it('a guardrail rollback takes the arm out: no new units, its pinned units go to control, the bandit keeps it at 0', async () => {
    const fl = await start();
    const users = Array.from({ length: 100 }, (_, i) => `u-${i}`);
    const first = await visitAll(fl, users);
    expect(first).toContain('variant');
    const res = await request(`${fl.adminUrl}/routes/product/rollback`, { method: 'POST' });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    await fl.app.flushExperiments();
    const st = await until(
      fl,
      (x) => x.bandits[0]?.updatedAt !== null && x.bandits[0]?.updatedAt !== undefined && percentOf(x, 'variant') === 0,
    );
    expect(percentOf(st, 'control')).toBe(100);
    expect(st.bandits[0]!.arms[1]!.pBest).toBe(0);
    expect(await visitAll(fl, users)).toEqual(users.map(() => 'control'));
    expect(await (await request(`${fl.adminUrl}/metrics`)).body.text()).toContain(
      'fieldlab_bandit_weight{route="product",arm="variant"} 0\n',
    );
  });

  it('a guardrail decision that is no rollback (a pause) keeps the split the bandit serves, and /status reports that split', async () => {
    const fl = await start();
    const early = Array.from({ length: 300 }, (_, i) => `p-${i}`);
    await checkOut(fl, early, await visitAll(fl, early), mulberry32(9));
    // The bandit now serves 95% to the variant; the config's split says 10%.
    await until(fl, (x) => x.bandits[0]?.phase === 'thompson' && percentOf(x, 'variant') === 95);
    const guarded = (x: StatusBody) => x.routes.find((r) => r.route === 'product')!.variants[0]!;
    expect(guarded(await status(fl))).toMatchObject({ arm: 'variant', percent: 95 });

    const res = await request(`${fl.adminUrl}/routes/product/pause`, { method: 'POST' });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    // No bandit update in between (every: 1h): the served split is what the pause left.
    const after = await status(fl);
    expect(after.decisions.some((d) => d.action === 'pause' && d.arm === 'variant' && d.toPercent === 95)).toBe(true);
    expect(guarded(after)).toMatchObject({ arm: 'variant', percent: 95, phase: 'paused' });
    const fresh = await visitAll(
      fl,
      Array.from({ length: 300 }, (_, i) => `after-pause-${i}`),
    );
    expect(share(fresh, 'variant')).toBeGreaterThan(0.85);

    const out: string[] = [];
    const io = { out: (t: string) => void out.push(t), err: (t: string) => void out.push(t), env: {} };
    expect(await runStatus(['--route', 'product', '--admin', fl.adminUrl], io)).toBe(0);
    expect(out.join('\n')).toMatch(/ {2}variant\s+95%\s+paused/);

    // The metrics: the weights served now, and the updates by outcome.
    const metrics = await (await request(`${fl.adminUrl}/metrics`)).body.text();
    expect(metrics).toContain('fieldlab_bandit_weight{route="product",arm="variant"} 95\n');
    expect(metrics).toContain('fieldlab_bandit_weight{route="product",arm="control"} 5\n');
    const applied = /fieldlab_bandit_updates_total\{route="product",outcome="applied"\} (\d+)/.exec(metrics);
    expect(Number(applied?.[1])).toBeGreaterThanOrEqual(1);
    expect(metrics).toMatch(/fieldlab_bandit_updates_total\{route="product",outcome="failed"\} 0\n/);
  });
});
