// Span-tree diffs and arm profiles under `fieldlab start --workers 2`, as real processes: services
// instrumented with the OpenTelemetry SDK export to the primary's one OTLP receiver, while the
// exchanges live in the two workers, which relay them to the primary (cluster/trace-relay.ts).
// The dark build's extra call and slower query are reported, the split's variant shows two calls
// to `inventory` per request vs one, and the trace metrics are the group's.
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DiffReport, FieldReport } from '../../src/compare/report.js';
import { startOtelService, type OtelService } from '../../src/demo/otel-service.js';
import type { RouteProfile } from '../../src/traces/arm-profiles.js';
import type { TracesStats } from '../../src/traces/traces.js';
import { eventually, freePort, startReplica, type Replica } from '../helpers/replicas.js';
import { tempDir } from '../helpers/servers.js';

const N = 40;

describe('traces with --workers 2', () => {
  const tmp = tempDir();
  let r: Replica | undefined;
  let services: OtelService[] = [];
  let traces: TracesStats;

  beforeAll(async () => {
    const inventory = await startOtelService('inventory', (_c, res) => void res.end('{"stock":3}'));
    const fraud = await startOtelService('fraud', (_c, res) => void res.end('{"ok":true}'));
    const build = (name: string, dark: boolean) =>
      startOtelService(name, async (c, res) => {
        const id = c.path.split('/').pop()!;
        await c.call(inventory.url, 'GET', `/items/${id}`);
        if (dark) await c.call(fraud.url, 'POST', '/check');
        await c.work('SELECT orders', dark ? 40 : 1);
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ id, total: 10 }));
      });
    const shop = (calls: number) =>
      startOtelService('shop', async (c, res) => {
        for (let i = 0; i < calls; i++) await c.call(inventory.url, 'GET', `/items/${100 + i}`);
        res.end('{"ok":true}');
      });
    const [v1, copy, dark, a, b] = [
      await build('checkout', false),
      await build('checkout', false),
      await build('checkout-dark', true),
      await shop(1),
      await shop(2),
    ];
    services = [inventory, fraud, v1, copy, dark, a, b];
    const otlp = await freePort();
    r = await startReplica(
      'traces',
      tmp.dir,
      ({ listen, admin }) => `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: sqlite:${join(tmp.dir, 'traces.db')}
tracing: { endpoint: http://127.0.0.1:9/v1/traces }
traces: { listen: 127.0.0.1:${otlp}, wait: 20s }
upstreams: { v1: ${v1.url}, copy: ${copy.url}, dark: ${dark.url}, a: ${a.url}, b: ${b.url} }
routes:
  - name: checkout
    match: { path: /api/checkout/* }
    arms: { control: v1 }
    shadow: [{ to: dark, compare: { noiseFrom: copy } }]
  - name: shop
    match: { path: /shop/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    experiment: { minUnits: 10 }
`,
      {},
      ['--workers', '2'],
    );
    for (const s of services) s.connect(`http://127.0.0.1:${otlp}/v1/traces`);
    const replica = r;
    // A new connection per request: the cluster hands connections to the workers in turn, and the
    // order alternates so each route's requests land on both workers.
    for (let i = 0; i < N; i++) {
      const paths = [`/api/checkout/${1000 + i}`, `/shop/${i}`];
      for (const path of i % 2 === 0 ? paths : paths.reverse()) {
        const res = await request(`${replica.url}${path}`, {
          headers: { 'x-user': `user-${i}` },
          reset: true,
        });
        expect(res.statusCode).toBe(200);
        await res.body.dump();
      }
    }
    await Promise.all(services.map((s) => s.flush()));
    traces = await eventually(
      async () => {
        const t = (await replica.admin<{ traces?: TracesStats }>('/mirror')).body.traces;
        return t && t.join.compared + t.join.missing >= 2 * N && t.profiles.profiled + t.profiles.missing >= N ? t : undefined;
      },
      30_000,
      'every pair and arm request settled on the primary',
    );
  }, 90_000);

  afterAll(async () => {
    await Promise.all(services.map((s) => s.close()));
    await r?.stop();
    tmp.remove();
  });

  it('joins every pair of both workers to its spans on the primary', async () => {
    expect(traces.join).toMatchObject({
      compared: 2 * N,
      missing: 0,
      dropped: 0,
      untraced: 0,
    });
    expect(traces.receiver.refused).toEqual({});
    const metrics = await (await request(`${r!.adminUrl}/metrics`)).body.text();
    // Both workers served; the join and its counters are the primary's, for the group.
    expect(metrics).toMatch(/fieldlab_requests_total\{worker="1",route="checkout"/);
    expect(metrics).toMatch(/fieldlab_requests_total\{worker="2",route="checkout"/);
    expect(metrics).toMatch(/fieldlab_requests_total\{worker="1",route="shop"/);
    expect(metrics).toMatch(/fieldlab_requests_total\{worker="2",route="shop"/);
    expect(metrics).toMatch(new RegExp(`fieldlab_traces_pairs_total\\{worker="primary",result="compared"\\} ${2 * N}\\b`));
    expect(metrics).toMatch(new RegExp(`fieldlab_traces_profiled_requests_total\\{worker="primary",result="profiled"\\} ${N}\\b`));
    expect(metrics).toMatch(/fieldlab_worker_ipc_dropped_total\{worker="primary",kind="traces"\} 0/);
  });

  it('reports the dark build’s extra call and slower query from both workers’ pairs', async () => {
    const field = (report: DiffReport, name: string): FieldReport | undefined =>
      report.endpoints.find((e) => e.shadow === 'dark' && e.endpoint === 'GET /api/checkout/:id')?.fields.find((f) => f.field === name);
    const report = await eventually(
      async () => {
        const rep = (await r!.admin<DiffReport>('/diffs.json?fields=200')).body;
        return field(rep, 'trace:calls:fraud POST /check')?.differed === N ? rep : undefined;
      },
      15_000,
      'the trace fields stored',
    );
    expect(field(report, 'trace:calls:fraud POST /check')).toMatchObject({
      kind: 'added',
      verdict: 'real',
    });
    const slower = field(report, 'trace:slower:checkout SELECT orders')!;
    expect(slower.verdict).toBe('real');
    expect(slower.meanDeltaMs).toBeGreaterThan(25);
    expect(slower.deltaMs!.correctedP50).toBeGreaterThan(25);
    expect(slower.deltaMs!.noisePairs).toBeGreaterThanOrEqual(N);
    expect(field(report, 'trace:calls:inventory GET /items/:id')).toBeUndefined();
  });

  it('profiles the split’s arms across both workers in /experiments.json', async () => {
    const p = (await r!.admin<{ experiments: { profile?: RouteProfile }[] }>('/experiments.json?route=shop')).body.experiments[0]!.profile!;
    expect(p.arms.control!.requests + p.arms.variant!.requests).toBe(N);
    const op = p.operations.find((o) => o.service === 'inventory')!;
    expect(op.arms.control!.callsPerRequest.mean).toBe(1);
    expect(op.arms.variant!.callsPerRequest.mean).toBe(2);
  });
});
