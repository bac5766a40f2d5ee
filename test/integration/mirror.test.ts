// Mirroring end to end: which requests reach a shadow, what is skipped and counted, and that a
// slow, dead or saturated shadow never touches the client's response.
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { Pool, request } from 'undici';
import { bucketOf } from '../../src/routing/hash.js';
import type { DiffReport } from '../../src/compare/report.js';
import { echo, startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
async function upstream(name: string, handler?: Parameters<typeof startUpstream>[1]): Promise<TestUpstream> {
  const u = await startUpstream(name, handler);
  open.push(u);
  return u;
}
async function fieldlab(yaml: string): Promise<TestFieldlab> {
  const f = await startFieldlab(yaml);
  open.unshift(f); // closed before the upstreams
  return f;
}
async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500 && !check(); i++) await new Promise((r) => setTimeout(r, 10));
  if (!check()) throw new Error(`timed out waiting for ${what}`);
}
async function report(fl: TestFieldlab): Promise<DiffReport> {
  await fl.app.flushDiffs();
  return (await (await request(`${fl.adminUrl}/diffs.json`)).body.json()) as DiffReport;
}
const settled = (fl: TestFieldlab) => {
  const d = fl.app.mirrorStats().dispatcher;
  return d.inFlight === 0 && d.queued === 0;
};
const route = (shadow: string) => `
upstreams: { control: CONTROL, dark: DARK }
routes:
  - name: r
    match: { path: /api/* }
    arms: { control: control }
    shadow:
${shadow}`;

describe('mirroring', () => {
  it('mirrors exactly the requests whose id hashes under the percent, marked and with the client Host', async () => {
    const control = await upstream('control');
    const dark = await upstream('dark');
    const fl = await fieldlab(route('      - { to: dark, percent: 30 }').replace('CONTROL', control.url).replace('DARK', dark.url));
    const ids = Array.from({ length: 200 }, (_, i) => `req-${i}`);
    const expected = ids.filter((id) => bucketOf('mirror:dark', id) < 3000);
    for (const id of ids) {
      const res = await request(`${fl.url}/api/x`, { headers: { 'x-request-id': id, host: 'shop.example' } });
      await res.body.text();
    }
    await until(() => dark.seen.length >= expected.length && settled(fl), 'shadow requests');
    // Copies may overtake each other on the way (they travel concurrently): compare as sets.
    expect(dark.seen.map((r) => String(r.headers['x-request-id'])).sort()).toEqual([...expected].sort());
    expect(dark.seen.every((r) => r.headers['x-fieldlab-shadow'] === '1' && r.headers.host === 'shop.example')).toBe(true);
    expect(control.seen).toHaveLength(200);
  });

  it('does not mirror writes unless listed, skips bodies over maxBody, and counts both', async () => {
    const control = await upstream('control');
    const dark = await upstream('dark');
    const fl = await fieldlab(
      route(
        '      - { to: dark }\n  - name: w\n    match: { path: /write/* }\n    arms: { control: control }\n    shadow: [{ to: dark, methods: [POST], maxBody: 1KiB }]',
      )
        .replace('CONTROL', control.url)
        .replace('DARK', dark.url),
    );
    const post = (path: string, body: string, chunked = false) =>
      request(`${fl.url}${path}`, { method: 'POST', body: chunked ? Readable.from([body]) : body }).then(async (r) => {
        expect(r.statusCode).toBe(200);
        return (await r.body.json()) as { bodyBytes: number };
      });
    expect((await post('/api/a', 'hello')).bodyBytes).toBe(5); // POST not listed on route r
    expect((await post('/write/small', 'x'.repeat(500))).bodyBytes).toBe(500);
    expect((await post('/write/big', 'x'.repeat(2000))).bodyBytes).toBe(2000); // over maxBody (Content-Length)
    expect((await post('/write/big-chunked', 'y'.repeat(3000), true)).bodyBytes).toBe(3000); // over maxBody (chunked)
    await until(() => dark.seen.length >= 1 && settled(fl), 'the small write');
    expect(dark.seen.map((r) => `${r.method} ${r.url}`)).toEqual(['POST /write/small']);
    const skips = (await report(fl)).skips;
    expect(skips).toEqual(
      expect.arrayContaining([
        { route: 'r', shadow: 'dark', reason: 'method', count: 1 },
        { route: 'w', shadow: 'dark', reason: 'body_too_large', count: 2 },
      ]),
    );
  });

  it('answers every client byte-identically and without waiting while a shadow hangs or crashes', async () => {
    const control = await upstream('control', (req, res) => res.end(`primary answer for ${req.url}`));
    const hanging = await upstream('hanging', () => undefined);
    const crashing = await upstream('crashing', (req) => req.socket.destroy());
    const fl = await fieldlab(`
upstreams: { control: ${control.url}, hanging: ${hanging.url}, crashing: ${crashing.url} }
routes:
  - name: r
    arms: { control: control }
    shadow: [{ to: hanging, timeout: 5s }, { to: crashing }]
`);
    const pool = new Pool(fl.url, { connections: 10 });
    const bodies = await Promise.all(
      Array.from({ length: 40 }, async (_, i) => {
        const res = await pool.request({ path: `/item/${i}`, method: 'GET' });
        return `${res.statusCode} ${await res.body.text()}`;
      }),
    );
    // Every client is answered while the hanging shadow still holds its copies: nothing waited for it.
    expect(fl.app.mirrorStats().dispatcher.inFlight).toBeGreaterThan(0);
    expect(bodies).toEqual(Array.from({ length: 40 }, (_, i) => `200 primary answer for /item/${i}`));
    await pool.close();
  });

  it('drops and counts shadow copies beyond concurrency + queue', async () => {
    const control = await upstream('control');
    const hanging = await upstream('hanging', () => undefined);
    const fl = await fieldlab(
      route('      - { to: dark, concurrency: 1, queue: 2, timeout: 10s }').replace('CONTROL', control.url).replace('DARK', hanging.url),
    );
    for (let i = 0; i < 10; i++) await (await request(`${fl.url}/api/${i}`)).body.text();
    expect(fl.app.mirrorStats().dispatcher).toMatchObject({ inFlight: 1, queued: 2, dropped: 7 });
    expect((await report(fl)).skips).toContainEqual({ route: 'r', shadow: 'dark', reason: 'queue_full', count: 7 });
  });

  it('drops the shadow copy of a write whose client aborts mid-body, and counts it', async () => {
    const control = await upstream('control', (req) => req.resume());
    const dark = await upstream('dark');
    const fl = await fieldlab(route('      - { to: dark, methods: [POST] }').replace('CONTROL', control.url).replace('DARK', dark.url));
    const { request: httpRequest } = await import('node:http');
    // Declared larger than limits.bodyBuffer, so the body streams and the primary starts mid-body.
    const req = httpRequest(`${fl.url}/api/upload`, { method: 'POST', headers: { 'content-length': '200000' } });
    req.on('error', () => undefined);
    req.write('x'.repeat(100));
    await until(() => control.seen.length === 1, 'the primary to start');
    req.destroy();
    await until(() => fl.app.mirrorStats().compare.queued === 0, 'abort handling');
    await new Promise((r) => setTimeout(r, 50));
    expect(dark.seen).toHaveLength(0);
    expect((await report(fl)).skips).toContainEqual({ route: 'r', shadow: 'dark', reason: 'client_aborted', count: 1 });
  });

  it('uses the shadow host rewrite and header rules only on the copy', async () => {
    const control = await upstream('control', echo('control'));
    const dark = await upstream('dark');
    const fl = await fieldlab(
      route('      - { to: dark, host: dark.internal, headers: { set: { x-env: dark }, remove: [authorization] } }')
        .replace('CONTROL', control.url)
        .replace('DARK', dark.url),
    );
    const res = await request(`${fl.url}/api/h`, { headers: { authorization: 'Bearer t', host: 'shop' } });
    const seenByControl = ((await res.body.json()) as { headers: Record<string, string> }).headers;
    await until(() => dark.seen.length === 1, 'the shadow copy');
    expect(seenByControl).toMatchObject({ host: 'shop', authorization: 'Bearer t' });
    expect(seenByControl['x-env']).toBeUndefined();
    expect(dark.seen[0]!.headers).toMatchObject({ host: 'dark.internal', 'x-env': 'dark', 'x-fieldlab-shadow': '1' });
    expect(dark.seen[0]!.headers.authorization).toBeUndefined();
  });
});

describe('mirror across reloads', () => {
  it('skips (reason reload) shadow copies whose pool a reload closed, instead of reporting them as errors', async () => {
    const a = await upstream('a');
    const slow = await upstream('slow', (_req, res) => setTimeout(() => res.end('{}'), 300));
    const yaml = (timeout: string) =>
      `upstreams: { a: ${a.url}, s: ${slow.url} }\nroutes: [{ name: r, arms: { control: a }, shadow: [{ to: s, concurrency: 1, queue: 10, timeout: ${timeout} }] }]\n`;
    const fl = await fieldlab(yaml('5s'));
    for (let i = 0; i < 4; i++) await (await request(`${fl.url}/x${i}`)).body.text();
    fl.writeConfig(yaml('6s'));
    expect((await fl.app.reload('test')).ok).toBe(true);
    for (let i = 0; i < 100 && fl.app.mirrorStats().dispatcher.inFlight + fl.app.mirrorStats().dispatcher.queued > 0; i++)
      await new Promise((r) => setTimeout(r, 20));
    await fl.app.flushDiffs();
    const report = (await (await request(`${fl.adminUrl}/diffs.json`)).body.json()) as DiffReport;
    expect(report.skips).toContainEqual({ route: 'r', shadow: 's', reason: 'reload', count: 3 });
    expect(report.endpoints.flatMap((e) => e.fields.map((f) => f.field))).not.toContain('error');
  });
});
