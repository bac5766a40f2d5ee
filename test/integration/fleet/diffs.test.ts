// The fleet-wide shadow-diff report is the sum of what each replica compared: three replicas with
// one shadow on one PostgreSQL schema, traffic spread unevenly across them and three endpoints.
// Each replica's own metrics say how many pairs it compared; every replica's /diffs.json and
// `fieldlab diffs --json` must report exactly their sum, per endpoint, and the same report.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool, request } from 'undici';
import { runDiffs } from '../../../src/cli/diffs.js';
import type { DiffReport } from '../../../src/compare/report.js';
import { createTestSchema, type TestSchema } from '../../helpers/pg.js';
import { type Replica, type ReplicaPorts, eventually, startReplica } from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';

/** A cart service; the shadow adds a fee, so `total` is a real difference and `ts` noise. */
function cart(fee: number) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const text = JSON.stringify({ url: req.url, total: 20 + fee, ts: Math.random() });
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(text);
  };
}

const ENDPOINTS = ['/cart/', '/orders/', '/users/'];
/** Requests per endpoint sent to each replica: uneven on purpose (a sum of equal parts hides a replica counted twice). */
const PLAN = [
  [40, 25, 10],
  [15, 30, 5],
  [20, 10, 35],
];

/** What a page of the report says per endpoint, without the timestamp. */
const perEndpoint = (r: DiffReport) => Object.fromEntries(r.endpoints.map((e) => [e.endpoint, e.pairs]));
// `generatedAt` and the resolved `since` differ by request; the rest must not.
const comparable = (r: DiffReport) => ({ endpoints: r.endpoints, totals: r.totals, skips: r.skips });

describe('fleet: the diff report is fleet-wide', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let control: TestUpstream, dark: TestUpstream;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    pgs = await createTestSchema();
    control = await startUpstream('control', cart(0));
    dark = await startUpstream('dark', cart(2));
    const yaml = ({ listen, admin }: ReplicaPorts) => `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: ${pgs.url}
log: { level: warn, access: false }
drainTimeout: 1s
upstreams: { control: ${control.url}, dark: ${dark.url} }
routes:
  - name: shop
    arms: { control: control }
    shadow: [{ to: dark }]
`;
    replicas.push(...(await Promise.all(['edge-0', 'edge-1', 'edge-2'].map((id) => startReplica(id, tmp.dir, yaml)))));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([control.close(), dark.close()]);
    await pgs?.drop();
    tmp.remove();
  });

  /** A counter from a replica's own /metrics (0 when absent). */
  const metric = async (r: Replica, name: string) => {
    const text = await (await request(`${r.adminUrl}/metrics`)).body.text();
    return [...text.matchAll(new RegExp(`^${name}(?:\\{[^}]*\\})? (\\d+)$`, 'gm'))].reduce((a, m) => a + Number(m[1]), 0);
  };

  it('every replica and the CLI report the sum of what each replica compared', async () => {
    await Promise.all(
      replicas.map(async (r, i) => {
        const pool = new Pool(r.url, { connections: 4 });
        const sends = ENDPOINTS.flatMap((path, e) => Array.from({ length: PLAN[i]![e]! }, (_, k) => `${path}${k + 1}`));
        await Promise.all(
          sends.map(async (path) => {
            const res = await pool.request({ path, method: 'GET' });
            await res.body.text();
          }),
        );
        await pool.close();
      }),
    );
    // Each replica compared exactly what it was sent (its own metrics), and dropped nothing.
    const compared = await Promise.all(
      replicas.map((r, i) =>
        eventually(
          async () => {
            const n = await metric(r, 'fieldlab_compare_compared_total');
            return n === PLAN[i]!.reduce((a, b) => a + b, 0) && n;
          },
          15_000,
          `${r.id} to compare its pairs`,
        ),
      ),
    );
    for (const r of replicas) {
      expect(await metric(r, 'fieldlab_compare_dropped_total')).toBe(0);
      expect(await metric(r, 'fieldlab_storage_dropped_total')).toBe(0);
    }
    const sum = compared.reduce((a, b) => a + b, 0);
    const expected = Object.fromEntries(ENDPOINTS.map((path, e) => [`GET ${path}:id`, PLAN.reduce((a, plan) => a + plan[e]!, 0)]));

    // Once every replica's batch is flushed, any replica serves the sum.
    const reports = await eventually(
      async () => {
        const got = await Promise.all(replicas.map((r) => r.admin<DiffReport>('/diffs.json?since=1h')));
        return got.every((g) => g.status === 200 && g.body.totals.pairs === sum) && got.map((g) => g.body);
      },
      15_000,
      'every replica to report the fleet-wide sum',
    );
    for (const report of reports) {
      expect(perEndpoint(report)).toEqual(expected);
      expect(report.totals).toMatchObject({ pairs: sum, endpoints: 3, overflowPairs: 0 });
      // Field counts are summed too: every pair differs in `total` and `ts`, whichever replica compared it.
      for (const e of report.endpoints)
        expect(e.fields.map((f) => [f.field, f.compared, f.differed]).sort()).toEqual([
          ['body:$.total', expected[e.endpoint], expected[e.endpoint]],
          ['body:$.ts', expected[e.endpoint], expected[e.endpoint]],
        ]);
      expect(comparable(report)).toEqual(comparable(reports[0]!));
    }

    const out: string[] = [];
    const err: string[] = [];
    const code = await runDiffs(['--store', pgs.url, '--since', '1h', '--json'], {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      env: {},
      isTTY: false,
    });
    expect(err, err.join('\n')).toEqual([]);
    expect(code).toBe(0);
    const cli = JSON.parse(out.join('\n')) as DiffReport;
    expect(perEndpoint(cli)).toEqual(expected);
    expect(cli.totals.pairs).toBe(sum);
  }, 60_000);
});
