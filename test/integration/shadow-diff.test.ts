// Shadow diffs end to end: real control and dark upstreams, real comparisons, stored in a real
// SQLite file, read back through the admin API — including after a restart.
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool, request } from 'undici';
import type { DiffReport, EndpointReport } from '../../src/compare/report.js';
import { startFieldlab, startUpstream, tempDir, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

/** The same API in two builds; `dark` carries the differences each endpoint tests. */
function api(dark: boolean) {
  return (req: IncomingMessage, res: ServerResponse) => {
    const url = req.url ?? '/';
    const json = (body: unknown, status = 200, gzip = false) => {
      const text = Buffer.from(JSON.stringify(body));
      const payload = gzip ? gzipSync(text) : text;
      res.writeHead(status, {
        'content-type': 'application/json',
        'content-length': payload.length,
        ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      });
      res.end(payload);
    };
    const id = Number(/(\d+)$/.exec(url)?.[1] ?? 0);
    if (url.startsWith('/api/users/')) return json({ id, name: `user${id}`, plan: dark ? 'pro' : 'free', ts: randomUUID() });
    if (url.startsWith('/api/list')) {
      const items = [
        { id: 1, v: 'a' },
        { id: 2, v: 'b' },
        { id: 3, v: 'c' },
      ];
      return json({ items: dark ? [items[2], items[0], items[1]] : items });
    }
    if (url.startsWith('/api/typed')) return json({ count: dark ? '3' : 3 });
    if (url.startsWith('/api/fails')) return json({ ok: !dark }, dark ? 500 : 200);
    if (url.startsWith('/api/zipped')) return json({ price: dark ? 11 : 10, note: 'same' }, 200, true);
    return json({ hello: 'world' });
  };
}

describe('shadow diffs', () => {
  let control: TestUpstream, dark: TestUpstream, fl: TestFieldlab, pool: Pool;
  const tmp = tempDir();
  const store = join(tmp.dir, 'diffs.db');
  const yaml = () => `
store: sqlite:${store}
upstreams: { control: ${control.url}, dark: ${dark.url} }
routes:
  - name: api
    match: { path: /api/* }
    arms: { control: control }
    shadow: [{ to: dark }]
`;
  const endpoint = (r: DiffReport, name: string): EndpointReport => {
    const e = r.endpoints.find((x) => x.endpoint === name);
    if (!e) throw new Error(`no endpoint ${name} in ${r.endpoints.map((x) => x.endpoint).join(', ')}`);
    return e;
  };
  const fields = (e: EndpointReport) => e.fields.map((f) => `${f.field} ${f.kind} ${f.verdict}`);
  let report: DiffReport;

  beforeAll(async () => {
    control = await startUpstream('control', api(false));
    dark = await startUpstream('dark', api(true));
    fl = await startFieldlab(yaml());
    pool = new Pool(fl.url, { connections: 8 });
    const paths = [
      ...Array.from({ length: 60 }, (_, i) => `/api/users/${i % 12}`), // 12 ids, 5 repeats each
      ...Array.from({ length: 20 }, () => '/api/list'),
      ...Array.from({ length: 20 }, () => '/api/typed'),
      ...Array.from({ length: 20 }, () => '/api/fails'),
      ...Array.from({ length: 20 }, () => '/api/zipped'),
    ];
    for (const path of paths) {
      const res = await pool.request({ path, method: 'GET' });
      expect(res.statusCode).toBe(200); // clients only ever see the control's answer
      await res.body.text();
    }
    for (let i = 0; i < 100 && fl.app.mirrorStats().compare.compared < paths.length; i++) await new Promise((r) => setTimeout(r, 20));
    await fl.app.flushDiffs();
    report = (await (await request(`${fl.adminUrl}/diffs.json`)).body.json()) as DiffReport;
  });
  afterAll(async () => {
    await pool.close();
    await fl.close();
    await control.close();
    await dark.close();
    tmp.remove();
  });

  it('groups ids under one endpoint template', () => {
    expect(report.endpoints.map((e) => e.endpoint).sort()).toEqual([
      'GET /api/fails',
      'GET /api/list',
      'GET /api/typed',
      'GET /api/users/:id',
      'GET /api/zipped',
    ]);
    expect(endpoint(report, 'GET /api/users/:id').pairs).toBe(60);
  });

  it('finds the real regression and cancels the random field as noise', () => {
    const users = endpoint(report, 'GET /api/users/:id');
    expect(fields(users)).toContain('body:$.plan value real');
    const ts = users.fields.find((f) => f.field === 'body:$.ts');
    expect(ts?.verdict).toBe('noise');
    expect(users.realRate).toBe(1);
    // Ranked first: the endpoint with a real difference on every pair.
    expect(report.endpoints[0]!.realRate).toBe(1);
  });

  it('reports array reordering as an order change, not as value changes', () => {
    const list = endpoint(report, 'GET /api/list');
    expect(list.fields.map((f) => `${f.field} ${f.kind}`)).toEqual(['body:$.items order']);
  });

  it('reports type changes, status transitions and changes inside gzip bodies', () => {
    expect(fields(endpoint(report, 'GET /api/typed')).map((f) => f.split(' ').slice(0, 2).join(' '))).toEqual(['body:$.count type']);
    const fails = endpoint(report, 'GET /api/fails');
    expect(fails.statuses).toEqual([{ primary: 200, candidate: 500, count: 20 }]);
    expect(fails.fields.map((f) => `${f.field} ${f.kind}`)).toEqual(['status status']);
    expect(endpoint(report, 'GET /api/zipped').fields.map((f) => `${f.field} ${f.kind}`)).toEqual(['body:$.price value']);
  });

  it('records paired latency for every endpoint', () => {
    for (const e of report.endpoints) {
      expect(e.latency.samples).toBe(e.pairs);
      expect(e.latency.primary.p50).toBeGreaterThan(0);
      expect(e.latency.delta.p50).toBeDefined();
    }
  });

  it('keeps examples with request ids and both bodies', async () => {
    const res = await request(
      `${fl.adminUrl}/diffs/examples.json?endpoint=${encodeURIComponent('GET /api/users/:id')}&field=${encodeURIComponent('body:$.plan')}`,
    );
    const { examples } = (await res.body.json()) as {
      examples: { requestId: string; primaryBody: string; candidateBody: string; paths: string[] }[];
    };
    expect(examples.length).toBeGreaterThan(0);
    expect(examples.length).toBeLessThanOrEqual(3);
    expect(examples[0]!.primaryBody).toContain('"plan": "free"');
    expect(examples[0]!.candidateBody).toContain('"plan": "pro"');
    expect(examples[0]!.paths).toContain('body:$.plan');
    expect(examples[0]!.requestId).toMatch(/[0-9a-f-]{36}/);
  });

  it('shows the stored report after a restart', async () => {
    await fl.close();
    fl = await startFieldlab(yaml());
    const again = (await (await request(`${fl.adminUrl}/diffs.json`)).body.json()) as DiffReport;
    expect(again.totals).toEqual(report.totals);
    expect(fields(endpoint(again, 'GET /api/users/:id'))).toContain('body:$.plan value real');
  });
});
