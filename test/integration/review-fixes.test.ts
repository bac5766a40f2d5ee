// Regressions found in review: admin requests that could kill the process, auth after a reload
// that drops the token, spoofed shadow markers, unrelayable reason phrases, and shadow copies
// orphaned by a reload.
import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { DiffReport } from '../../src/compare/report.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  while (open.length) await open.pop()!.close();
});
async function up(name: string, handler?: Parameters<typeof startUpstream>[1]): Promise<TestUpstream> {
  const u = await startUpstream(name, handler);
  open.push(u);
  return u;
}
async function fieldlab(yaml: string): Promise<TestFieldlab> {
  const f = await startFieldlab(yaml);
  open.unshift(f);
  return f;
}

describe('review fixes', () => {
  it('answers malformed admin requests with 400 and keeps running', async () => {
    const a = await up('a');
    const fl = await fieldlab(`upstreams: { a: ${a.url} }\nroutes: [{ name: r, arms: { control: a, v: a }, guardrails: {} }]\n`);
    for (const q of ['0', '-1', 'abc']) {
      const res = await request(`${fl.adminUrl}/decisions.json?limit=${q}`);
      expect(res.statusCode).toBe(400);
      await res.body.text();
    }
    // 1.5 is floored to 1 (it used to reach SQLite as a float and crash the process).
    const floored = await request(`${fl.adminUrl}/decisions.json?limit=1.5`);
    expect(floored.statusCode).toBe(200);
    await floored.body.text();
    const bad = await request(`${fl.adminUrl}/routes/%ZZ/rollback`, { method: 'POST' });
    expect(bad.statusCode).toBe(400);
    await bad.body.text();
    expect((await request(`${fl.adminUrl}/healthz`)).statusCode).toBe(200);
  });

  it('keeps the admin API closed when a reload drops the token but the listener stays public', async () => {
    const a = await up('a');
    const fl = await fieldlab(
      `admin: { listen: 0.0.0.0:0, token: secret }\nupstreams: { a: ${a.url} }\nroutes: [{ name: r, arms: { control: a } }]\n`,
    );
    const adminUrl = `http://127.0.0.1:${fl.app.adminPort()}`;
    fl.writeConfig(`admin: { listen: 127.0.0.1:0 }\nupstreams: { a: ${a.url} }\nroutes: [{ name: r, arms: { control: a } }]\n`);
    const r = await fl.app.reload('test');
    expect(r.ok).toBe(true);
    expect(r.restartRequired).toContain('admin.listen');
    const res = await request(`${adminUrl}/config`);
    expect(res.statusCode).toBe(401);
    await res.body.text();
    expect((await request(`${adminUrl}/healthz`)).statusCode).toBe(200);
  });

  it('never forwards a client-sent x-fieldlab-shadow to the primary', async () => {
    const a = await up('a');
    const fl = await fieldlab(`upstreams: { a: ${a.url} }\nroutes: [{ name: r, arms: { control: a } }]\n`);
    const res = await request(`${fl.url}/x`, { headers: { 'x-fieldlab-shadow': '1' } });
    const seen = ((await res.body.json()) as { headers: Record<string, string> }).headers;
    expect(seen['x-fieldlab-shadow']).toBeUndefined();
  });

  it('answers an upstream reason phrase Node cannot relay with the standard one', async () => {
    const raw = createServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\x01bad\r\ncontent-length: 2\r\n\r\nok')));
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise((r) => raw.close(() => r())) });
    const fl = await fieldlab(
      `upstreams: { a: http://127.0.0.1:${(raw.address() as AddressInfo).port} }\nroutes: [{ name: r, arms: { control: a } }]\n`,
    );
    const res = await request(`${fl.url}/x`, { headersTimeout: 5000, bodyTimeout: 5000 });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
  });

  it('skips (reason reload) shadow copies whose pool a reload closed, instead of reporting them as errors', async () => {
    const a = await up('a');
    const slow = await up('slow', (_req, res) => setTimeout(() => res.end('{}'), 300));
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
