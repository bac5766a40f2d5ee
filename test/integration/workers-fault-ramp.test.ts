// The sick-canary ramp under `fieldlab start --workers 2`, as real processes on one SQLite file: the
// primary (no traffic) is the one judge on both workers' relayed evidence, and both workers inject
// the step it sends. Same scenario as fault-ramp.test.ts: clients give up after 400 ms and then
// never buy, so 100 → 250 → 500 → 1000 ms must stop at 500 ms with 250 ms as the last safe level,
// decided once (one ramp-start, one ramp-done), never once per process.
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { boomSliceUsers, expectBreakingPoint, rampYaml, startRampLoad } from '../helpers/ramp-traffic.js';
import { type Replica, eventually, startReplica } from '../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';

describe('fault.ramp with --workers 2', () => {
  const tmp = tempDir();
  let shop: TestUpstream, pay: TestUpstream;
  let r: Replica | undefined;
  let load: { stop(): Promise<void> } | undefined;
  // Several connections: the cluster module spreads them over both workers.
  const agent = new Agent({ connections: 64, pipelining: 0 });

  beforeAll(async () => {
    shop = await startUpstream('shop');
    pay = await startUpstream('pay');
    r = await startReplica(
      'ramp',
      tmp.dir,
      (p) => rampYaml({ ...p, store: `sqlite:${join(tmp.dir, 'ramp.db')}`, shop: shop.url, pay: pay.url }),
      {},
      ['--workers', '2'],
    );
    load = startRampLoad([r.url], agent);
  }, 30_000);
  afterAll(async () => {
    await load?.stop();
    await r?.kill();
    await agent.close();
    await Promise.all([shop?.close(), pay?.close()]);
    tmp.remove();
  });

  it('the primary judges both workers’ evidence once: stops at 500 ms, 250 ms last safe', async () => {
    const fl = r!;
    const status = async () => (await fl.admin<{ ramps: any[] }>('/status?route=shop')).body.ramps[0];
    const done = await eventually(async () => ((await status())?.phase === 'done' ? status() : undefined), 45_000, 'the ramp done');
    await load?.stop();
    expectBreakingPoint(done);

    // One judge: one sequence of decisions, not one per process.
    const { decisions } = (await fl.admin<{ decisions: { action: string; rule: string }[] }>('/decisions.json?route=shop')).body;
    const ramp = decisions.filter((d) => d.rule === 'fault.ramp').reverse();
    expect(ramp.map((d) => d.action)).toEqual(['ramp-start', 'ramp-advance', 'ramp-advance', 'ramp-done']);

    const metrics = await (await request(`${fl.adminUrl}/metrics`)).body.text();
    // Both workers served the route and injected the primary's steps.
    for (const w of ['1', '2'])
      expect(metrics).toMatch(new RegExp(`fieldlab_fault_injected_total\\{worker="${w}",route="shop",kind="delay"\\} [1-9]`));
    // The ramp's gauges are the judge's only (a worker's follower copy would count it three times).
    expect(metrics).toContain('fieldlab_fault_ramp_done{worker="primary",route="shop",end="harm"} 1');
    expect(metrics).not.toMatch(/fieldlab_fault_ramp_\w+\{worker="[12]"/);
    expect(metrics).toMatch(/fieldlab_worker_ipc_dropped_total\{worker="primary",kind="ramp-stale"\} \d+/);
  }, 60_000);

  it('a worker restarted mid-ramp injects the step in force from its first request', async () => {
    const fl = r!;
    const users = boomSliceUsers(16);
    // A new connection per request: the cluster module hands each to the next worker.
    const statuses = async () => {
      const out = new Set<number>();
      for (const user of users) {
        const one = new Agent({ connections: 1 });
        const res = await request(`${fl.url}/boom/x`, { headers: { 'x-user-id': user }, dispatcher: one });
        await res.body.text();
        out.add(res.statusCode);
        await one.close();
      }
      return [...out];
    };
    expect(await statuses()).toEqual([503]);
    const workers = async () =>
      (await fl.admin<{ workers: { index: number; pid: number | null; state: string }[] }>('/workers')).body.workers;
    const before = await workers();
    process.kill(before[0]!.pid!, 'SIGKILL');
    await eventually(
      async () => {
        const w = (await workers())[0]!;
        return w.state === 'ready' && w.pid !== before[0]!.pid;
      },
      15_000,
      'worker 1 restarted',
    );
    // At once, not after the 5 s resync: the step came with its config (hello) and again on ready.
    expect(await statuses()).toEqual([503]);
    // And the new worker 1 is among those that served them (its metrics arrive once a second).
    await eventually(
      async () => {
        expect(await statuses()).toEqual([503]);
        const metrics = await (await request(`${fl.adminUrl}/metrics`)).body.text();
        return /fieldlab_fault_injected_total\{worker="1",route="boom",kind="abort"\} [1-9]/.test(metrics);
      },
      5_000,
      'worker 1 injected the step',
    );
  }, 30_000);
});
