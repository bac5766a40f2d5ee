// The warehouse export end to end: real upstreams, the real proxy, the SQLite store (in its worker
// thread) and PostgreSQL. Users, one of them with a formula for a sticky key, are exposed and check
// out; the per-unit CSV has one RFC 4180 row per unit with the arm each user was served and its
// conversion, the formula neutralized; the per-minute JSON lines add up to the same totals; the
// endpoint needs the read token, refuses bad values with codes, and `fieldlab results --export`
// writes the same bytes to a file (or none at all when the stream is cut off).
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { pino } from 'pino';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { exportRoutes } from '../../src/admin/experiment-export-api.js';
import { runResults } from '../../src/cli/results.js';
import type { ExperimentStore } from '../../src/storage/experiment-types.js';
import { openSqliteStores } from '../../src/storage/sqlite.js';
import { snapshotOf, EXPERIMENT_YAML } from '../unit/experiments/fixtures.js';
import { createTestSchema } from '../helpers/pg.js';
import { tempDir, useServers } from '../helpers/servers.js';

const config = (a: string, b: string, checkout: string) => `
upstreams: { a: ${a}, b: ${b}, checkout: ${checkout} }
routes:
  - name: product
    match: { path: /product/* }
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user]
    seed: export-test
    exposeArm: true
    experiment:
      goals:
        - { name: checkout, route: checkout, match: { method: POST, path: /api/checkout } }
        - { name: revenue, kind: value, value: total, match: { method: POST, path: /api/checkout } }
  - name: checkout
    match: { path: /api/* }
    arms: { control: checkout }
`;

/** An RFC 4180 parser for the test: quoted fields, doubled quotes, CRLF records. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '"' && text[i + 1] === '"') {
      cell += '"';
      i++;
    } else if (quoted) {
      if (c === '"') quoted = false;
      else cell += c;
    } else if (c === '"') quoted = true;
    else if (c === ',' || (c === '\r' && text[i + 1] === '\n')) {
      row.push(cell);
      cell = '';
      if (c === '\r') {
        rows.push(row);
        row = [];
        i++;
      }
    } else cell += c;
  }
  expect(cell).toBe(''); // ends in CRLF
  return rows;
}

const USERS = [...Array.from({ length: 60 }, (_, i) => `user-${i}`), '=HYPERLINK("http://evil","x")', 'a,"b"'];

async function traffic(s: ReturnType<typeof useServers>, store?: string) {
  const a = await s.upstream('a', (_req, res) => res.end('v1'));
  const b = await s.upstream('b', (_req, res) => res.end('v2'));
  const checkout = await s.upstream('checkout', (_req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(JSON.stringify({ total: 10 }));
  });
  const fl = await s.fieldlab(
    `${store ? `store: ${store}\n` : ''}admin: { listen: 127.0.0.1:0, token: sekret }\n${config(a.url, b.url, checkout.url)}`,
  );
  const served = new Map<string, string>();
  for (const [i, u] of USERS.entries()) {
    const page = await request(`${fl.url}/product/1`, { headers: { 'x-user': u } });
    await page.body.text();
    served.set(u, page.headers['x-fieldlab-arm'] as string);
    // Every third user checks out.
    if (i % 3 === 0) await (await request(`${fl.url}/api/checkout`, { method: 'POST', headers: { 'x-user': u } })).body.text();
  }
  await fl.app.flushExperiments();
  return { fl, served };
}

const auth = { authorization: 'Bearer sekret' };

describe('experiment export', () => {
  const s = useServers();

  it('per unit as CSV and per minute as JSON lines, token-protected, with coded errors; the CLI writes the same file', async () => {
    const { fl, served } = await traffic(s);
    const url = `${fl.adminUrl}/experiments/product/export`;
    expect((await request(`${url}?by=unit`)).statusCode).toBe(401);

    const res = await request(`${url}?by=unit&format=csv`, { headers: auth });
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/csv/);
    expect(res.headers['content-disposition']).toBe('attachment; filename="product-unit.csv"');
    const text = await res.body.text();
    const [head, ...rows] = parseCsv(text);
    // The fixed columns are the unit test's; one per goal of this config follows them.
    expect(head).toHaveLength(11);
    expect(head!.slice(-2)).toEqual(['goal_checkout', 'goal_revenue']);
    expect(rows).toHaveLength(USERS.length);
    const byUnit = new Map(rows.map((r) => [r[1]!, r]));
    for (const [i, u] of USERS.entries()) {
      // A spreadsheet would run the formula: its cell starts with ' (and is otherwise the key).
      const row = byUnit.get(u.startsWith('=') ? `'${u}` : u)!;
      expect(row[2]).toBe(served.get(u));
      expect(row[5]).toBe('1');
      expect(row[6]).toBe('1');
      expect(row[9]).toBe(i % 3 === 0 ? '1' : '0');
      expect(row[10]).toBe(i % 3 === 0 ? '10' : '0');
    }
    expect(text).toContain('"\'=HYPERLINK(""http://evil"",""x"")"');

    const minutes = await request(`${url}?by=minute&format=jsonl&since=1h`, { headers: auth });
    expect(minutes.headers['content-type']).toMatch(/^application\/x-ndjson/);
    const lines = (await minutes.body.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { metric: string; arm: string; units: number; count: number });
    const total = (metric: string) => lines.filter((l) => l.metric === metric).reduce((n, l) => n + l.count, 0);
    expect(total('$exposures')).toBe(USERS.length);
    expect(total('$requests')).toBe(USERS.length);
    expect(total('checkout')).toBe(Math.ceil(USERS.length / 3));
    expect(lines.filter((l) => l.metric === 'checkout' && l.arm === '')).toEqual([]);

    const bad = async (path: string) => {
      const r = await request(`${fl.adminUrl}${path}`, { headers: auth });
      return { status: r.statusCode, code: ((await r.body.json()) as { error: { code: string } }).error.code };
    };
    expect(await bad('/experiments/product/export?format=xlsx')).toEqual({ status: 400, code: 'FL_ADMIN_BAD_REQUEST' });
    expect(await bad('/experiments/product/export?by=hour')).toEqual({ status: 400, code: 'FL_ADMIN_BAD_REQUEST' });
    expect(await bad('/experiments/product/export?since=soon')).toEqual({ status: 400, code: 'FL_ADMIN_BAD_REQUEST' });
    expect(await bad('/experiments/nope/export')).toEqual({ status: 404, code: 'FL_ROUTE_NOT_FOUND' });
    expect(await bad('/experiments/checkout/export')).toEqual({ status: 404, code: 'FL_NO_EXPERIMENT' });
    expect(await bad('/experiments/%E0/export')).toEqual({ status: 404, code: 'FL_ROUTE_NOT_FOUND' });
    expect(await bad('/experiments/product/other')).toEqual({ status: 404, code: 'FL_ADMIN_NOT_FOUND' });

    const tmp = tempDir();
    s.add({ close: () => tmp.remove() });
    const file = join(tmp.dir, 'units.csv');
    const err: string[] = [];
    const io = { out: (t: string) => void err.push(t), err: (t: string) => void err.push(t), env: {} };
    const args = ['--admin', fl.adminUrl, '--token', 'sekret'];
    expect(await runResults(['product', '--export', 'unit', '--out', file, ...args], io)).toBe(0);
    expect(readFileSync(file, 'utf8')).toBe(text);
    const chunks: Buffer[] = [];
    const streamed = { ...io, write: async (c: Uint8Array) => void chunks.push(Buffer.from(c)) };
    expect(await runResults(['product', '--export', 'minute', '--format', 'jsonl', ...args], streamed)).toBe(0);
    expect(Buffer.concat(chunks).toString().trim().split('\n')).toHaveLength(lines.length);
    expect(await runResults(['product', '--export', 'week', ...args], io)).toBe(2);
    expect(await runResults(['product', '--format', 'csv', ...args], io)).toBe(2);
    expect(await runResults(['nope', '--export', 'unit', ...args], io)).toBe(2);
    expect(err.slice(-3)).toEqual([
      'fieldlab results: --export takes unit or minute, not "week"',
      'fieldlab results: --format goes with --export unit|minute',
      'fieldlab: FL_ROUTE_NOT_FOUND: no route "nope" in the running config',
    ]);
  });

  it('the same per-unit export from PostgreSQL', async () => {
    const pgs = await createTestSchema();
    s.add({ close: () => pgs.drop() });
    const { fl, served } = await traffic(s, pgs.url);
    const res = await request(`${fl.adminUrl}/experiments/product/export?by=unit`, { headers: auth });
    const [, ...rows] = parseCsv(await res.body.text());
    expect(new Map(rows.map((r) => [r[1]!.replace(/^'/, ''), r[2]]))).toEqual(served);
  });

  it('a store failing mid-export cuts the connection; the CLI leaves no file behind', async () => {
    const { snap, close } = snapshotOf(EXPERIMENT_YAML);
    const stores = openSqliteStores(':memory:');
    await stores.experiments.writeExperiments({
      exposures: Array.from({ length: 1500 }, (_, i) => ({ route: 'product', unit: `u${i}`, arm: 'control', at: 1, weights: '50,50' })),
      events: [],
    });
    let pages = 0;
    const store: Pick<ExperimentStore, 'exportUnits' | 'exportMinutes'> = {
      exportUnits: async (q) => {
        if (++pages === 2) throw new Error('disk gone');
        return stores.experiments.exportUnits(q);
      },
      exportMinutes: (q) => stores.experiments.exportMinutes(q),
    };
    const handler = exportRoutes({ store, current: () => snap, log: pino({ level: 'silent' }) })['GET /experiments/*']!;
    const server = createServer((req, res) => void handler(req, res));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    s.add({
      close: async () => {
        server.close();
        await stores.close();
        await close();
      },
    });
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

    const res = await request(`${base}/experiments/product/export?by=unit`);
    expect(res.statusCode).toBe(200);
    await expect(res.body.text()).rejects.toThrow();

    const tmp = tempDir();
    s.add({ close: () => tmp.remove() });
    const file = join(tmp.dir, 'units.csv');
    pages = 0;
    const err: string[] = [];
    const io = { out: (t: string) => void err.push(t), err: (t: string) => void err.push(t), env: {} };
    expect(await runResults(['product', '--export', 'unit', '--out', file, '--admin', base], io)).toBe(1);
    expect(existsSync(file) || existsSync(`${file}.partial`)).toBe(false);
    expect(err.at(-1)).toMatch(/^fieldlab results: the export was cut off/);
  });
});
