// The sick-canary ramp end to end, real upstreams and a real load generator whose clients give up
// after 400 ms (so a unit served slower never buys): the ramp 100 → 250 → 500 → 1000 ms must stop
// at 500 ms (first harmful) and report 250 ms as the last safe level, as decisions in the store, in
// /status, in `fieldlab status` and the metrics; a restart on the same SQLite file reports the
// finished ramp and injects nothing.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectVerdict, SHOP_RAMP_ROUTES, sliceUsers, startRampLoad } from '../helpers/ramp-traffic.js';
import { startFieldlab, startUpstream, tempDir, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const CLI = resolve('dist/src/cli/main.js');
const GIVE_UP_MS = 400;

const cli = (args: string[]): Promise<{ code: number | null; out: string }> =>
  new Promise((ok) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: process.env });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) => ok({ code, out }));
  });

describe('fault.ramp: the breaking point', () => {
  let shop: TestUpstream, pay: TestUpstream, fl: TestFieldlab;
  const tmp = tempDir();
  const yaml = (u: { shop: string; pay: string }) => `
store: sqlite:${join(tmp.dir, 'ramp.db')}
upstreams: { shop: ${u.shop}, pay: ${u.pay} }
routes:
${SHOP_RAMP_ROUTES}`;
  let load: { stop(): Promise<void> } | undefined;
  const agent = new Agent({ connections: 64 });

  beforeAll(async () => {
    shop = await startUpstream('shop');
    pay = await startUpstream('pay');
    fl = await startFieldlab(yaml({ shop: shop.url, pay: pay.url }));
    // The load generator: each visit is a new unit; 4 in 5 would buy if the page came in time.
    load = startRampLoad([fl.url], agent, GIVE_UP_MS);
  });
  afterAll(async () => {
    await load?.stop();
    await fl?.close();
    await agent.close();
    await Promise.all([shop.close(), pay.close()]);
    tmp.remove();
  });

  const status = async () => (await (await request(`${fl.adminUrl}/status?route=shop`)).body.json()) as { ramps: any[] };

  it('stops at 500 ms (first harmful) and reports 250 ms as the last safe level', async () => {
    await waitFor(async () => (await status()).ramps[0]?.phase === 'done', 40_000);
    await load?.stop();
    const r = (await status()).ramps[0];
    if (process.env.RAMP_PRINT)
      console.log(JSON.stringify(r.steps.map((s: any) => [s.level, s.verdict, s.judgement.goal, s.judgement.injectedFailures])));
    // Stopped at 500 ms, 250 ms last safe; the harm's interval below 0 on ≥ 30 units, with injected failures.
    expectVerdict(r);
    // Each step with its interval and the time it took; the safe ones dwelt at least 2 s.
    for (const s of r.steps.slice(0, 2)) expect(Date.parse(s.endedAt) - Date.parse(s.startedAt)).toBeGreaterThanOrEqual(2_000);
    const safe = r.lastSafe.judgement.goal;
    expect(safe.interval[0]).toBeLessThan(0);
    expect(safe.interval[1]).toBeGreaterThan(0);
    // The slice's abandoned delayed requests are the injected stream, not real errors.
    expect(r.firstHarmful.judgement.vitals.slice.bad).toBe(0);
  });

  it('stores every step as a decision, shows it in fieldlab status and the metrics', async () => {
    const body = (await (await request(`${fl.adminUrl}/decisions.json?route=shop`)).body.json()) as {
      decisions: { action: string; rule: string; reason: string; evidence: any }[];
    };
    const ramp = body.decisions.filter((d) => d.rule === 'fault.ramp').reverse();
    expect(ramp.map((d) => d.action)).toEqual(['ramp-start', 'ramp-advance', 'ramp-advance', 'ramp-done']);
    expect(ramp[3]!.reason).toContain('breaking point: 500ms harms');
    expect(ramp[3]!.evidence).toMatchObject({ lastSafe: { level: 250 }, firstHarmful: { level: 500 } });
    const out = await cli(['status', '--admin', fl.adminUrl]);
    if (process.env.RAMP_PRINT) console.log(out.out, JSON.stringify(ramp, null, 1));
    expect(out.code).toBe(0);
    expect(out.out).toContain('ramp shop (delay on 30% of units): done (harm)');
    expect(out.out).toContain('breaking point: last safe 250ms, first harmful 500ms');
    const metrics = await (await request(`${fl.adminUrl}/metrics`)).body.text();
    expect(metrics).toContain('fieldlab_fault_ramp_done{route="shop",end="harm"} 1');
    expect(metrics).toContain('fieldlab_fault_ramp_level{route="shop",kind="delay"} 0');
  });

  it('a restart on the same store reports the finished ramp and injects nothing', async () => {
    await fl.app.ramps().idle();
    await fl.app.stop(2_000);
    fl = await startFieldlab(yaml({ shop: shop.url, pay: pay.url }));
    const r = (await status()).ramps[0];
    expect(r).toMatchObject({ phase: 'done', end: 'harm', lastSafe: { level: 250 }, firstHarmful: { level: 500 } });
    // A slice unit is served without a fault (the injected counter is process-wide: compare).
    const delays = async () => {
      const text = await (await request(`${fl.adminUrl}/metrics`)).body.text();
      return Number(/fieldlab_fault_injected_total\{route="shop",kind="delay"\} (\d+)/.exec(text)?.[1] ?? 0);
    };
    const before = await delays();
    const candidates = Array.from({ length: 100 }, (_, i) => `after-${i}`);
    const users = sliceUsers('shop', candidates);
    expect(users.length).toBeGreaterThan(10);
    for (const user of users) {
      const res = await request(`${fl.url}/shop/item`, { headers: { 'x-user-id': user }, dispatcher: agent });
      await res.body.text();
      expect(res.statusCode).toBe(200);
    }
    expect(await delays()).toBe(before);
  });
});
