// Admin and startup failures through the registries: bad filters answer the standard local reply
// (FL_ADMIN_BAD_REQUEST in body and header), a throwing handler is a logged FL_INTERNAL, and a process
// that can't start prints the registry code of why.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { createAdminServer } from '../../src/admin/server.js';
import { runStart } from '../../src/cli/start.js';
import { createConfigManager } from '../../src/config/manager.js';
import { createPoolRegistry } from '../../src/forward/pools.js';
import { listen } from '../../src/net/listen.js';
import { tempDir, useServers } from '../helpers/servers.js';

const servers = useServers();
const up = (name: string) => servers.upstream(name);
const fieldlab = (yaml: string) => servers.fieldlab(yaml);

async function getJson(url: string) {
  const res = await request(url);
  return { status: res.statusCode, header: res.headers['x-fieldlab-error'], body: (await res.body.json()) as { error: { code: string } } };
}

describe('admin errors', () => {
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

  it('answers a bad report or rollup filter with 400 FL_ADMIN_BAD_REQUEST, code in body and header', async () => {
    const a = await up('a');
    const fl = await fieldlab(`upstreams: { a: ${a.url} }\nroutes: [{ name: r, arms: { control: a } }]\n`);
    for (const path of [
      '/diffs.json?since=yesterday-ish',
      '/diffs/examples.json?since=nope',
      '/diffs?until=nope',
      '/rollups.json?since=nope',
    ]) {
      const r = await getJson(`${fl.adminUrl}${path}`);
      expect({ path, status: r.status, header: r.header, code: r.body.error.code }).toEqual({
        path,
        status: 400,
        header: 'FL_ADMIN_BAD_REQUEST',
        code: 'FL_ADMIN_BAD_REQUEST',
      });
    }
  });

  it('logs a failing handler once, with its route, and answers 500 FL_INTERNAL', async () => {
    const tmp = tempDir();
    servers.add({ close: () => tmp.remove() });
    const file = join(tmp.dir, 'fieldlab.yaml');
    writeFileSync(file, 'upstreams: { a: http://127.0.0.1:1 }\n');
    const lines: { msg: string; route?: string; code?: string; err?: { message: string } }[] = [];
    const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
    const pools = createPoolRegistry();
    const config = createConfigManager({ file, env: {}, pools, shadowPools: pools, log });
    const admin = createAdminServer({
      config,
      log,
      ready: () => true,
      startedAt: new Date(),
      routes: {
        'GET /sync-boom': () => {
          throw new Error('sync boom');
        },
        'GET /async-boom': async () => {
          throw new Error('async boom');
        },
      },
    });
    await listen(admin, '127.0.0.1', 0);
    servers.add({ close: () => pools.closeAll(true) });
    servers.add({ close: () => new Promise((r) => admin.close(r)) });
    const base = `http://127.0.0.1:${(admin.address() as AddressInfo).port}`;
    for (const path of ['/sync-boom', '/async-boom']) {
      const r = await getJson(`${base}${path}`);
      expect([r.status, r.header, r.body.error.code]).toEqual([500, 'FL_INTERNAL', 'FL_INTERNAL']);
    }
    const failed = lines.filter((l) => l.msg === 'admin handler failed');
    expect(failed.map((l) => [l.route, l.code, l.err?.message])).toEqual([
      ['GET /sync-boom', 'FL_INTERNAL', 'sync boom'],
      ['GET /async-boom', 'FL_INTERNAL', 'async boom'],
    ]);
  });
});

describe('startup errors', () => {
  const run = async (yaml: string) => {
    const tmp = tempDir();
    servers.add({ close: () => tmp.remove() });
    const file = join(tmp.dir, 'fieldlab.yaml');
    writeFileSync(file, `store: sqlite:${join(tmp.dir, 'fieldlab.db')}\n${yaml}`);
    const err: string[] = [];
    const code = await runStart(['--config', file, '--no-watch'], { out: () => undefined, err: (l) => void err.push(l), env: {} });
    return { code, err };
  };

  it('prints FL_CONFIG_INVALID for an invalid config, then each problem', async () => {
    const { code, err } = await run('upstreams: { a: http://127.0.0.1:1 }\nroutes: [{ name: r, arms: { control: b } }]\n');
    expect(code).toBe(1);
    expect(err[0]).toMatch(/is invalid, not starting \[FL_CONFIG_INVALID\]:$/);
    expect(err.slice(1).join('\n')).toMatch(/unknown upstream "b"/);
  });

  it('prints FL_LISTEN_FAILED and the address when the port is taken', async () => {
    const taken = createServer();
    await new Promise<void>((r) => taken.listen(0, '127.0.0.1', r));
    servers.add({ close: () => new Promise((r) => taken.close(r)) });
    const { port } = taken.address() as AddressInfo;
    const { code, err } = await run(`listen: 127.0.0.1:${port}\nadmin: { listen: 127.0.0.1:0 }\nupstreams: { a: http://127.0.0.1:1 }\n`);
    expect(code).toBe(1);
    expect(err).toEqual([`fieldlab: could not start [FL_LISTEN_FAILED]: could not listen on 127.0.0.1:${port}: EADDRINUSE`]);
  });
});
