// Recording (`record:`) through the real proxy, real upstream and a real SQLite file: what the client
// gets is untouched; what is stored is redacted (no secret reaches the file), capped and counted.
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { recordBucket } from '../../src/record/record-tap.js';
import { openSqliteStores } from '../../src/storage/sqlite.js';
import type { StoredSample } from '../../src/storage/record-types.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const SECRETS = ['srv-token-123', '4111111111111111', 'hunter2', 'qs-key-789', 's3cret-bearer', 'sid=abc123', 'cookie-val-1'];

async function readStored(fl: TestFieldlab, route: string): Promise<StoredSample[]> {
  await fl.app.recorder().flush();
  const stores = openSqliteStores(join(dirname(fl.file), 'fieldlab.db'));
  try {
    return await stores.records.readRecords({ route, limit: 1000 });
  } finally {
    await stores.close();
  }
}

describe('record: on a route', () => {
  let up: TestUpstream;
  let fl: TestFieldlab;
  beforeAll(async () => {
    up = await startUpstream('control', (req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c));
      req.on('end', () => {
        res.setHeader('set-cookie', 'sid=abc123; HttpOnly');
        res.setHeader('content-type', 'application/json');
        const json = JSON.stringify({ ok: true, token: 'srv-token-123', got: body.length });
        if (req.url?.endsWith('/gz')) {
          res.setHeader('content-encoding', 'gzip');
          res.end(gzipSync(json));
        } else res.end(json);
      });
    });
    fl = await startFieldlab(`
upstreams: { control: ${up.url} }
routes:
  - name: r
    match: { path: /r/* }
    arms: { control: control }
    sticky: [header:x-user]
    seed: s1
    record: { percent: 100, maxSamples: 6, redact: [header:authorization, header:cookie, header:set-cookie, body:$.card], maxBody: 4KiB }
  - name: half
    match: { path: /half/* }
    arms: { control: control }
    sticky: [header:x-user]
    seed: s2
    record: { percent: 50 }
  - name: plain
    match: { path: /* }
    arms: { control: control }
`);
  });
  afterAll(async () => {
    await fl.close();
    await up.close();
  });

  it('stores requests with their primary responses, redacted, while the client gets everything unchanged', async () => {
    const get = await request(`${fl.url}/r/items?api_key=qs-key-789&q=1`, {
      headers: { authorization: 'Bearer s3cret-bearer', cookie: 'c=cookie-val-1', 'x-user': 'u1' },
    });
    const got = (await get.body.json()) as { token: string };
    expect(got.token).toBe('srv-token-123');
    expect(get.headers['set-cookie']).toBe('sid=abc123; HttpOnly');
    const post = await request(`${fl.url}/r/pay`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-user': 'u1' },
      body: JSON.stringify({ card: '4111111111111111', password: 'hunter2', item: 3 }),
    });
    expect(((await post.body.json()) as { got: number }).got).toBeGreaterThan(40);
    const gz = await request(`${fl.url}/r/gz`, { headers: { 'x-user': 'u1' } });
    expect(gz.headers['content-encoding']).toBe('gzip');
    await gz.body.arrayBuffer();

    const rows = await readStored(fl, 'r');
    expect(rows.map((r) => `${r.method} ${r.target.split('?')[0]}`)).toEqual(['GET /r/items', 'POST /r/pay', 'GET /r/gz']);
    const file =
      JSON.stringify(rows) +
      rows.map((r) => Buffer.from(r.responseBody, 'base64').toString() + Buffer.from(r.requestBody ?? '', 'base64').toString()).join('');
    for (const secret of SECRETS) expect(file, secret).not.toContain(secret);
    const [g, p, z] = rows as [StoredSample, StoredSample, StoredSample];
    expect(g.target).toBe('/r/items?api_key=%5Bredacted%5D&q=1');
    expect(g.requestHeaders).toContainEqual(['authorization', '[redacted]']);
    expect(g.responseHeaders).toContainEqual(['set-cookie', 'sid=[redacted]']);
    expect(JSON.parse(Buffer.from(g.responseBody, 'base64').toString())).toEqual({ ok: true, token: '[redacted]', got: 0 });
    expect(JSON.parse(Buffer.from(p.requestBody!, 'base64').toString())).toEqual({ card: '[redacted]', password: '[redacted]', item: 3 });
    expect(p.status).toBe(200);
    // Stored decoded (so it could be redacted), the coding kept for replay to re-apply.
    expect(JSON.parse(Buffer.from(z.responseBody, 'base64').toString())).toMatchObject({ ok: true, token: '[redacted]' });
    expect(z.responseHeaders).toContainEqual(['content-encoding', 'gzip']);
    expect(g.unit).not.toBe('u1');
    expect(g.bucket).toBe(recordBucket('s1', 'u1'));
  });

  it('stops at the route cap, counts what it dropped, and refuses bodies over maxBody', async () => {
    for (let i = 0; i < 6; i++) await (await request(`${fl.url}/r/n/${i}`, { headers: { 'x-user': 'u2' } })).body.text();
    const big = await request(`${fl.url}/r/big`, { method: 'POST', headers: { 'x-user': 'u2' }, body: 'x'.repeat(8192) });
    expect(big.statusCode).toBe(200);
    expect(((await big.body.json()) as { got: number }).got).toBe(8192);
    const rows = await readStored(fl, 'r');
    expect(rows).toHaveLength(6);
    const stats = fl.app.recorder().stats();
    expect(stats.stored.r).toBe(6);
    expect(stats.dropped.r).toEqual({ route_samples: 3, body_too_large: 1 });
    const metrics = await (await request(`${fl.adminUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/^fieldlab_record_dropped_total\{route="r",reason="route_samples"\} 3$/m);
    expect(metrics).toMatch(/^fieldlab_record_samples_total\{route="r"\} 6$/m);
  });

  it('samples sticky by unit: a unit has all of its requests recorded or none, by its record bucket', async () => {
    const users = Array.from({ length: 30 }, (_, i) => `user-${i}`);
    for (const u of users)
      for (let k = 0; k < 2; k++) await (await request(`${fl.url}/half/${k}`, { headers: { 'x-user': u } })).body.text();
    const rows = await readStored(fl, 'half');
    const chosen = users.filter((u) => recordBucket('s2', u) < 5000);
    expect(chosen.length).toBeGreaterThan(0);
    expect(chosen.length).toBeLessThan(users.length);
    expect(rows).toHaveLength(chosen.length * 2);
    expect(new Set(rows.map((r) => r.bucket))).toEqual(new Set(chosen.map((u) => recordBucket('s2', u))));
    // Routes without record: store nothing.
    await (await request(`${fl.url}/other`)).body.text();
    expect(await readStored(fl, 'plain')).toEqual([]);
  });
});
