// Parser leniency closed (issue 9 item 13): one valid Host, HTTP/1.x request lines only, coded
// replies for CONNECT, unknown Expect and a missing Host, each logged; and normalized paths, so a
// route on /public/* can't be ridden to /admin by any spelling of a traversal.
import { Writable } from 'node:stream';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startApp, type App } from '../../src/app.js';
import { rawExchange } from '../helpers/raw.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';

describe('strict ingress', () => {
  const tmp = tempDir();
  const lines: { type?: string; code?: string; status?: number; path?: string }[] = [];
  let pub: TestUpstream;
  let adm: TestUpstream;
  let app: App;
  let port: number;
  const get = (target: string, host = 'x') => rawExchange(port, `GET ${target} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);

  beforeAll(async () => {
    pub = await startUpstream('pub');
    adm = await startUpstream('adm');
    const file = join(tmp.dir, 'fieldlab.yaml');
    writeFileSync(
      file,
      `listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nstore: sqlite:${join(tmp.dir, 'f.db')}\n` +
        `upstreams: { pub: ${pub.url}, adm: ${adm.url} }\nroutes:\n` +
        '  - { name: public, match: { path: /public/* }, arms: { control: pub } }\n' +
        '  - { name: admin, match: { path: /admin/* }, arms: { control: adm } }\n',
    );
    const sink = new Writable({
      write(chunk, _enc, cb) {
        for (const l of chunk.toString().split('\n')) if (l) lines.push(JSON.parse(l));
        cb();
      },
    });
    app = await startApp({ configFile: file, logger: pino({ level: 'info' }, sink), watch: false });
    port = app.proxyPort();
  });
  afterAll(async () => {
    await app.stop(1_000);
    await Promise.all([pub.close(), adm.close()]);
    tmp.remove();
  });

  it('routes and forwards the normalized path: no traversal spelling reaches /admin through /public', async () => {
    const toAdmin = [
      '/public/../admin/x',
      '/public/./../admin/x',
      '/public/%2e%2e/admin/x',
      '/public/%2E%2e/admin/x',
      '/public/.%2e/admin/x',
      '/public/%2e./admin/x',
      '/public//../admin/x',
      '/public/a/b/../../../admin/x',
      '/public/../../../../admin/x',
      '//public/..//admin//x',
    ];
    for (const target of toAdmin) {
      const res = await get(target);
      expect(res.status, target).toBe(200);
      expect(JSON.parse(res.body), target).toMatchObject({ name: 'adm', url: '/admin/x' });
    }
    const refused = [
      '/public/..%2fadmin/x',
      '/public/..%2Fadmin/x',
      '/public%2f..%2fadmin/x',
      '/public/%2e%2e%2fadmin/x',
      '/public/..%5cadmin/x',
      '/public/..\\admin/x',
      '/public/..%5Cadmin/x',
      '/public/%c0%ae%c0%ae/admin/x',
      '/public/%u002e%u002e/admin/x',
      '/public/..;/admin/x',
      '/public/%zz',
      '/public/%00',
      '/public/..#/admin/x',
      '/public/%2e%2e#x',
      '/public/x#/../../admin/x',
    ];
    for (const target of refused) {
      const res = await get(target);
      expect(res.status, target).toBe(400);
      expect(res.headers['x-fieldlab-error'], target).toBe('FL_BAD_PATH');
    }
    for (const seen of pub.seen) expect(seen.url).toMatch(/^\/public(\/|$)/);
    const res = await get('/public/x/%7euser/./y?q=/../a');
    expect(JSON.parse(res.body)).toMatchObject({ name: 'pub', url: '/public/x/~user/y?q=/../a' });
  });

  it('answers 400 FL_BAD_HOST to a missing, repeated or invalid Host', async () => {
    const noHost = await rawExchange(port, 'GET /public/x HTTP/1.1\r\nConnection: close\r\n\r\n');
    expect([noHost.status, noHost.headers['x-fieldlab-error']]).toEqual([400, 'FL_BAD_HOST']);
    const twice = await rawExchange(port, 'GET /public/x HTTP/1.1\r\nHost: a\r\nHost: b\r\nConnection: close\r\n\r\n');
    expect([twice.status, twice.headers['x-fieldlab-error']]).toEqual([400, 'FL_BAD_HOST']);
    for (const host of ['a, b', 'a,b', 'a@b', 'u:p@b', 'a b', 'a/b', 'a\\b', 'a..b', '.a', '%61', 'a:b', 'a:99999', '[::1', 'a:']) {
      const res = await get('/public/x', host);
      expect([res.status, res.headers['x-fieldlab-error']], host).toEqual([400, 'FL_BAD_HOST']);
    }
    for (const host of ['a', 'shop.example.com', 'shop.example.com.', 'a:8080', '[::1]:8080', '127.0.0.1', 'in_ternal']) {
      expect((await get('/public/x', host)).status, host).toBe(200);
    }
    // HTTP/1.0 needs no Host.
    expect((await rawExchange(port, 'GET /public/x HTTP/1.0\r\n\r\n')).status).toBe(200);
  });

  it('refuses every request line but HTTP/1.0 and 1.1 (0.9, 1.2, 2.0, 3.0, the h2 preface), CONNECT and unknown Expect with coded replies', async () => {
    const requestLines = [
      'GET /public/x\r\n\r\n',
      'GET /public/x HTTP/0.9\r\n\r\n',
      'GET /public/x HTTP/2.0\r\nHost: x\r\n\r\n',
      'GET /public/x HTTP/3.0\r\nHost: x\r\n\r\n',
      'GET /public/x HTTP/1.2\r\nHost: x\r\n\r\n',
      'GET /public/x HTTP/1.10\r\nHost: x\r\n\r\n',
      'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n',
    ];
    for (const line of requestLines) {
      const res = await rawExchange(port, line);
      expect([res.status, res.headers['x-fieldlab-error']], line).toEqual([505, 'FL_HTTP_VERSION']);
    }
    const upgrade10 = await rawExchange(port, 'GET /public/x HTTP/1.0\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n\r\n');
    expect([upgrade10.status, upgrade10.headers['x-fieldlab-error']]).toEqual([400, 'FL_UPGRADE_REFUSED']);
    const connect = await rawExchange(port, 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n');
    expect([connect.status, connect.headers['x-fieldlab-error']]).toEqual([405, 'FL_CONNECT_UNSUPPORTED']);
    const expect417 = await rawExchange(port, 'GET /public/x HTTP/1.1\r\nHost: x\r\nExpect: magic\r\nConnection: close\r\n\r\n');
    expect([expect417.status, expect417.headers['x-fieldlab-error']]).toEqual([417, 'FL_EXPECTATION_FAILED']);
    const codes = lines.filter((l) => l.type === 'access').map((l) => l.code);
    expect(codes).toEqual(
      expect.arrayContaining(['FL_HTTP_VERSION', 'FL_CONNECT_UNSUPPORTED', 'FL_EXPECTATION_FAILED', 'FL_BAD_HOST', 'FL_BAD_PATH']),
    );
  });
});
