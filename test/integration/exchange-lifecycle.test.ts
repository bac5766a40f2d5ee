// One exchange lifecycle for HTTP and upgrades: the same access-log fields either way (upstream by
// name, endpoint URL apart, ms, bytes), `log.access: false` silences both, rejected and refused
// upgrades are logged, a throwing observer never reaches the client, and only allowed upgrade
// protocols are tunnelled.
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import type { ExchangeObserver } from '../../src/telemetry/hooks.js';
import { rawExchange } from '../helpers/raw.js';
import { recordingLogger, startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

async function wsUpstream(): Promise<TestUpstream> {
  const up = await startUpstream('ws', (_req, res) => res.writeHead(404).end());
  new WebSocketServer({ server: up.server }).on('connection', (ws) => ws.send('hi'));
  closers.push(() => up.close());
  return up;
}

function yaml(up: string, extra = '', access = true): string {
  return `
log: { access: ${access} }
upstreams: { app: ${up}, dead: http://127.0.0.1:1 }
routes:
  - { name: dead, match: { path: /dead/* }, arms: { control: dead }, exposeArm: true }
  - { name: app, arms: { control: app }${extra} }
`;
}

function wsOpen(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('message', (m) => {
      ws.close();
      resolve(String(m));
    });
    ws.once('error', reject);
  });
}

const upgradeRequest = (token: string) => `GET /x HTTP/1.1\r\nhost: a\r\nconnection: upgrade\r\nupgrade: ${token}\r\n\r\n`;

async function start(text: string): Promise<{ fl: TestFieldlab; lines: Record<string, unknown>[] }> {
  const { logger, lines } = recordingLogger();
  const fl = await startFieldlab(text, { logger });
  closers.push(() => fl.close());
  return { fl, lines };
}

const access = (lines: Record<string, unknown>[]) => lines.filter((l) => l.type === 'access');

describe('exchange lifecycle', () => {
  it('logs upgrades with the HTTP fields: upstream name, endpoint URL, ms and bytes', async () => {
    const up = await wsUpstream();
    const { fl, lines } = await start(yaml(up.url));
    expect(await wsOpen(`ws://127.0.0.1:${fl.app.proxyPort()}/x`)).toBe('hi');
    await fetch(`${fl.url}/plain`);
    const [ws, plain] = access(lines);
    expect(ws).toMatchObject({
      status: 101,
      route: 'app',
      arm: 'control',
      upstream: 'app',
      endpoint: up.url,
      upgrade: 'websocket',
      bytes: 0,
    });
    expect(typeof ws!.ms).toBe('number');
    expect(typeof ws!.upstreamMs).toBe('number');
    expect(plain).toMatchObject({ status: 404, upstream: 'app', endpoint: up.url });
    expect(typeof plain!.bytes).toBe('number');
  });

  it('writes no access line for an upgrade when log.access is false', async () => {
    const up = await wsUpstream();
    const { fl, lines } = await start(yaml(up.url, '', false));
    expect(await wsOpen(`ws://127.0.0.1:${fl.app.proxyPort()}/x`)).toBe('hi');
    expect(access(lines)).toEqual([]);
  });

  it('logs an upgrade Fieldlab rejects (no endpoint) with its code', async () => {
    const { fl, lines } = await start(yaml('http://127.0.0.1:1'));
    const r = await rawExchange(fl.app.proxyPort(), upgradeRequest('websocket').replace('/x', '/dead/x'));
    expect(r.status).toBe(502);
    await new Promise((r) => setTimeout(r, 50));
    expect(access(lines).at(-1)).toMatchObject({ status: 502, code: 'FL_UPSTREAM_CONNECT', route: 'dead', upstream: 'dead' });
  });

  it('refuses upgrade protocols the route does not list, with a coded reply and a log line', async () => {
    const up = await wsUpstream();
    const { fl, lines } = await start(yaml(up.url));
    for (const token of ['h2c', 'foo', 'websocket, h2c']) {
      const r = await rawExchange(fl.app.proxyPort(), upgradeRequest(token));
      expect(r.status).toBe(400);
      expect(r.headers['x-fieldlab-error']).toBe('FL_UPGRADE_REFUSED');
    }
    expect(up.seen).toHaveLength(0);
    expect(access(lines).map((l) => l.code)).toEqual(['FL_UPGRADE_REFUSED', 'FL_UPGRADE_REFUSED', 'FL_UPGRADE_REFUSED']);
  });

  it('tunnels another protocol only when the route lists it, and none with upgrades: []', async () => {
    const up = await startUpstream('raw');
    closers.push(() => up.close());
    up.server.on('upgrade', (_req, socket) =>
      socket.end('HTTP/1.1 101 Switching Protocols\r\nupgrade: foo\r\nconnection: upgrade\r\n\r\nfoo!'),
    );
    const { fl } = await start(yaml(up.url, ', upgrades: [websocket, Foo]'));
    const ok = await rawExchange(fl.app.proxyPort(), upgradeRequest('foo'), 500);
    expect(ok.status).toBe(101);
    expect(ok.body).toBe('foo!');
    fl.writeConfig(yaml(up.url, ', upgrades: []'));
    expect((await fl.app.reload()).ok).toBe(true);
    expect((await rawExchange(fl.app.proxyPort(), upgradeRequest('websocket'))).headers['x-fieldlab-error']).toBe('FL_UPGRADE_REFUSED');
  });

  it("puts x-fieldlab-arm on Fieldlab's own 502 when the route exposes the arm", async () => {
    const { fl } = await start(yaml('http://127.0.0.1:1'));
    const r = await fetch(`${fl.url}/dead/x`);
    expect(r.status).toBe(502);
    expect(r.headers.get('x-fieldlab-error')).toBe('FL_UPSTREAM_CONNECT');
    expect(r.headers.get('x-fieldlab-arm')).toBe('control');
  });

  it("puts x-fieldlab-arm on Fieldlab's own replies to upgrades (502, refused protocol) when the route exposes the arm", async () => {
    const { fl } = await start(yaml('http://127.0.0.1:1'));
    const failed = await rawExchange(fl.app.proxyPort(), upgradeRequest('websocket').replace('/x', '/dead/x'));
    expect([failed.status, failed.headers['x-fieldlab-arm']]).toEqual([502, 'control']);
    const refused = await rawExchange(fl.app.proxyPort(), upgradeRequest('h2c').replace('/x', '/dead/x'));
    expect([refused.status, refused.headers['x-fieldlab-error'], refused.headers['x-fieldlab-arm']]).toEqual([
      400,
      'FL_UPGRADE_REFUSED',
      'control',
    ]);
    // A route that doesn't expose its arm says nothing.
    const plain = await rawExchange(fl.app.proxyPort(), upgradeRequest('h2c'));
    expect([plain.status, plain.headers['x-fieldlab-arm']]).toEqual([400, undefined]);
  });

  it("puts x-fieldlab-arm on Fieldlab's 503 (no endpoint left) and 504 (upstream timeout) too", async () => {
    const slow = await startUpstream('slow', (_req, res) => setTimeout(() => res.end('late'), 3000));
    closers.push(() => slow.close());
    const { fl } = await start(`
upstreams:
  dead: http://127.0.0.1:1
  slow: { endpoints: [${slow.url}], timeouts: { headers: 100ms } }
routes:
  - { name: dead, match: { path: /dead/* }, arms: { control: dead }, exposeArm: true }
  - { name: slow, arms: { control: slow }, exposeArm: true }
`);
    const seen: (string | number | null)[][] = [];
    // Three connect failures eject the only endpoint; the next request finds none.
    for (let i = 0; i < 4; i++) {
      const r = await fetch(`${fl.url}/dead/x`);
      seen.push([r.status, r.headers.get('x-fieldlab-error'), r.headers.get('x-fieldlab-arm')]);
    }
    expect(seen.at(-1)).toEqual([503, 'FL_NO_ENDPOINT', 'control']);
    expect(seen.slice(0, 3).every(([, , arm]) => arm === 'control')).toBe(true);
    const timedOut = await fetch(`${fl.url}/slow`);
    expect([timedOut.status, timedOut.headers.get('x-fieldlab-error'), timedOut.headers.get('x-fieldlab-arm')]).toEqual([
      504,
      'FL_UPSTREAM_TIMEOUT',
      'control',
    ]);
  });
});

describe('observer failures', () => {
  let fl: TestFieldlab;
  it('never reach the client: HTTP and upgrade exchanges complete while every observer call throws', async () => {
    const up = await wsUpstream();
    const boom = () => {
      throw new Error('observer bug');
    };
    const throwsInEnd: ExchangeObserver = { name: 'end', begin: () => ({ end: boom }) };
    const throwsInBegin: ExchangeObserver = { name: 'begin', begin: boom };
    fl = await startFieldlab(yaml(up.url), { observers: [throwsInEnd, throwsInBegin] });
    closers.push(() => fl.close());
    for (let i = 0; i < 3; i++) expect((await fetch(`${fl.url}/plain`)).status).toBe(404);
    expect(await wsOpen(`${fl.url.replace('http', 'ws')}/x`)).toBe('hi');
  });
});
