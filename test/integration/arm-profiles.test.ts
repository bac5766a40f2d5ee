// Arm dependency profiles end to end: two builds instrumented with the OpenTelemetry SDK export
// over OTLP/HTTP to Fieldlab's receiver; the variant calls `inventory` twice per request, control
// once. GET /experiments.json shows ~2 vs ~1 calls per request with intervals that do not overlap.
// Without `traces:` the experiment has no profile and requests are served as before.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startOtelService, type OtelService } from '../../src/demo/otel-service.js';
import type { RouteProfile } from '../../src/traces/arm-profiles.js';
import { startFieldlab, type TestFieldlab } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

const N = 40;

const route = (upstreams: string) => `
${upstreams}
routes:
  - name: shop
    match: { path: /shop/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    seed: profile-test
    experiment: { minUnits: 10 }
`;

type Exp = { route: string; profile?: RouteProfile };

async function experiment(fl: TestFieldlab): Promise<Exp> {
  const res = await request(`${fl.adminUrl}/experiments.json?route=shop`);
  expect(res.statusCode).toBe(200);
  return ((await res.body.json()) as { experiments: Exp[] }).experiments[0]!;
}

describe('arm dependency profiles', () => {
  let fl: TestFieldlab;
  let services: OtelService[];
  const arms = { control: 0, variant: 0 };

  beforeAll(async () => {
    const inventory = await startOtelService('inventory', (_c, res) => void res.end('{"stock":3}'));
    const build = (calls: number) =>
      startOtelService('shop', async (c, res) => {
        for (let i = 0; i < calls; i++) await c.call(inventory.url, 'GET', `/items/${100 + i}`);
        res.end('{"ok":true}');
      });
    const a = await build(1);
    const b = await build(2);
    services = [inventory, a, b];
    fl = await startFieldlab(`
tracing: { endpoint: http://127.0.0.1:9/v1/traces }
traces: { listen: 127.0.0.1:0 }
${route(`upstreams: { a: ${a.url}, b: ${b.url} }`)}`);
    const receiver = `http://127.0.0.1:${fl.app.tracesPort()}/v1/traces`;
    for (const s of services) s.connect(receiver);
    for (let i = 0; i < N; i++) {
      const res = await request(`${fl.url}/shop/${i}`, {
        headers: { 'x-user': `user-${i}` },
      });
      expect(res.statusCode).toBe(200);
      await res.body.dump();
    }
    await waitFor(() => fl.app.traces()!.stats().profiles.pending >= N || fl.app.traces()!.stats().profiles.profiled > 0, 10_000);
    await Promise.all(services.map((s) => s.flush()));
    await waitFor(() => fl.app.traces()!.stats().buffer.spans >= N * 3, 10_000);
    await fl.app.traces()!.flush(true);
  }, 60_000);

  afterAll(async () => {
    await Promise.all((services ?? []).map((s) => s.close()));
    await fl?.close();
  });

  it('profiles every sampled request of the split by arm', async () => {
    const p = (await experiment(fl)).profile!;
    arms.control = p.arms.control!.requests;
    arms.variant = p.arms.variant!.requests;
    expect(arms.control + arms.variant).toBe(N);
    expect(arms.control).toBeGreaterThan(5);
    expect(arms.variant).toBeGreaterThan(5);
    expect(p.arms.control!.missing + p.arms.variant!.missing).toBe(0);
    expect(fl.app.traces()!.stats().profiles).toMatchObject({
      profiled: N,
      missing: 0,
      dropped: 0,
    });
  });

  it('shows the variant calling inventory twice per request vs once, intervals apart', async () => {
    const p = (await experiment(fl)).profile!;
    const op = p.operations.find((o) => o.service === 'inventory')!;
    // Ids in span names are templated like endpoints: one operation, not one per item.
    expect(op.operation).toBe('GET /items/:id');
    expect(p.operations.filter((o) => o.service === 'inventory')).toHaveLength(1);
    const c = op.arms.control!;
    const v = op.arms.variant!;
    expect(c.callsPerRequest.mean).toBe(1);
    expect(v.callsPerRequest.mean).toBe(2);
    expect(v.callsPerRequest.lower!).toBeGreaterThan(c.callsPerRequest.upper!);
    expect(v.calls).toBe(2 * v.requests);
    expect(c.errorRate).toMatchObject({ rate: 0, lower: 0 });
    expect(c.errorRate.upper).toBeLessThan(0.5);
    expect(c.latencyMs.p50).toBeGreaterThan(0);
    // The builds' client spans follow their calls; their own server span is once per request in both arms.
    expect(p.operations.find((o) => o.op === 'shop GET /items/:id')!.arms.variant!.callsPerRequest.mean).toBe(2);
    // The builds' own server span: once per request in both arms.
    const self = p.operations.find((o) => o.op === 'shop GET /shop/:id')!;
    expect(self.arms.control!.callsPerRequest.mean).toBe(1);
    expect(self.arms.variant!.callsPerRequest.mean).toBe(1);
  });
});

describe('arm profiles without traces', () => {
  it('leaves the experiment without a profile and serves every request', async () => {
    const a = await startOtelService('shop', (_c, res) => void res.end('a'));
    const b = await startOtelService('shop', (_c, res) => void res.end('b'));
    const fl = await startFieldlab(route(`upstreams: { a: ${a.url}, b: ${b.url} }`));
    try {
      for (let i = 0; i < 10; i++) {
        const res = await request(`${fl.url}/shop/${i}`, {
          headers: { 'x-user': `u${i}` },
        });
        expect(res.statusCode).toBe(200);
        await res.body.dump();
      }
      expect(fl.app.traces()).toBeUndefined();
      const e = await experiment(fl);
      expect(e.route).toBe('shop');
      expect(e.profile).toBeUndefined();
    } finally {
      await fl.close();
      await a.close();
      await b.close();
    }
  });

  it('says "no spans" when traces are configured but the services send none', async () => {
    const a = await startOtelService('shop', (_c, res) => void res.end('a'));
    const b = await startOtelService('shop', (_c, res) => void res.end('b'));
    const fl = await startFieldlab(`
tracing: { endpoint: http://127.0.0.1:9/v1/traces }
traces: { listen: 127.0.0.1:0, wait: 1s }
${route(`upstreams: { a: ${a.url}, b: ${b.url} }`)}`);
    try {
      for (let i = 0; i < 6; i++) {
        const res = await request(`${fl.url}/shop/${i}`, {
          headers: { 'x-user': `u${i}` },
        });
        expect(res.statusCode).toBe(200);
        await res.body.dump();
      }
      await fl.app.traces()!.flush(true);
      const p = (await experiment(fl)).profile!;
      expect(p.note).toBe('no spans');
      expect(p.operations).toEqual([]);
      expect((p.arms.control?.missing ?? 0) + (p.arms.variant?.missing ?? 0)).toBe(6);
    } finally {
      await fl.close();
      await a.close();
      await b.close();
    }
  });
});
