// Recording into a shared PostgreSQL store: two replicas record the same route, the total cap holds
// across both (checked in the write transaction), drops are counted where they happened, nothing
// secret reaches the database, and `fieldlab replay --store postgres://…` replays what they stored.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { join } from 'node:path';
import { runReplayCommand } from '../../../src/cli/replay.js';
import { createTestSchema, type TestSchema } from '../../helpers/pg.js';
import { type Replica, type ReplicaPorts, eventually, startReplica } from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';

describe('fleet: record: into PostgreSQL', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let up: TestUpstream;
  const replicas: Replica[] = [];

  beforeAll(async () => {
    pgs = await createTestSchema();
    up = await startUpstream('control', (_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ ok: true, secret: 'db-secret-42' }));
    });
    const yaml = ({ listen, admin }: ReplicaPorts) => `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: { url: "${pgs.url}", recordings: { maxSamples: 15 } }
log: { level: warn, access: false }
drainTimeout: 1s
upstreams: { control: ${up.url} }
routes:
  - name: shop
    arms: { control: control }
    record: { percent: 100, by: request }
`;
    replicas.push(...(await Promise.all(['edge-0', 'edge-1'].map((id) => startReplica(id, tmp.dir, yaml)))));
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await up.close();
    await pgs?.drop();
    tmp.remove();
  });

  const dropped = async (r: Replica) => {
    const text = await (await request(`${r.adminUrl}/metrics`)).body.text();
    return Number(/^fieldlab_record_dropped_total\{route="shop",reason="total_samples"\} (\d+)$/m.exec(text)?.[1] ?? 0);
  };

  it('stops at the total cap across replicas, counts the rest, and replays from the shared store', async () => {
    for (let i = 0; i < 12; i++)
      for (const r of replicas)
        await (await request(`${r.url}/items/${i}`, { headers: { authorization: 'Bearer tok-secret-1' } })).body.text();
    // 24 requests, 15 fit: the other 9 are counted by the replicas that captured them.
    const total = await eventually(
      async () => {
        const n = (await pgs.query<{ n: number }>(`SELECT count(*)::int AS n FROM "${pgs.schema}".record_samples`))[0]?.n;
        const d = (await dropped(replicas[0]!)) + (await dropped(replicas[1]!));
        return n === 15 && d === 9 ? n : undefined;
      },
      10_000,
      '15 stored and 9 dropped',
    );
    expect(total).toBe(15);
    const rows = await pgs.query<{ response_body: string }>(`SELECT * FROM "${pgs.schema}".record_samples`);
    const raw = JSON.stringify(rows) + rows.map((r) => Buffer.from(r.response_body, 'base64').toString()).join('');
    expect(raw).toContain('[redacted]');
    expect(raw).not.toContain('tok-secret-1');
    expect(raw).not.toContain('db-secret-42');

    const out: string[] = [];
    const err: string[] = [];
    const code = await runReplayCommand(
      ['--store', pgs.url, '--route', 'shop', '--to', up.url, '--rate', '1000/s', '--json', '--checkpoint', join(tmp.dir, 'ck.json')],
      { out: (s) => out.push(s), err: (s) => err.push(s), env: process.env, isTTY: false, errIsTTY: false },
    );
    expect(code, err.join('\n')).toBe(0);
    expect(err.join('\n')).toMatch(/replayed 15 requests/);
    const report = JSON.parse(out.join('\n')) as { endpoints: { pairs: number; fields: unknown[] }[] };
    // The same service answered: nothing differs (the redacted `secret` compares equal).
    expect(report.endpoints.reduce((n, e) => n + e.pairs, 0)).toBe(15);
    expect(report.endpoints.every((e) => e.fields.length === 0)).toBe(true);
  });
});
