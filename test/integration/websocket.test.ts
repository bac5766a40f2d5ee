// WebSockets through a real Fieldlab: the upgrade is routed and assigned like any request (sticky arm,
// x-fieldlab-arm), frames flow both ways, a close on either side reaches the other, and an upstream's
// refusal is relayed as it came.
import type { IncomingMessage } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { WebSocket, WebSocketServer } from 'ws';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

/** Rejects if `p` has not settled in `ms`: turns a missing behaviour into a failure, not a hang. */
function within<T>(p: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** A ws upstream: greets each connection with its name, then echoes. Remembers the server-side sockets. */
interface WsUpstream {
  readonly up: TestUpstream;
  readonly conns: { ws: WebSocket; req: IncomingMessage }[];
}

async function startWsUpstream(name: string): Promise<WsUpstream> {
  const up = await startUpstream(name, (_req, res) => res.writeHead(404).end());
  const conns: WsUpstream['conns'] = [];
  new WebSocketServer({ server: up.server }).on('connection', (ws, req) => {
    conns.push({ ws, req });
    ws.send(`hello from ${name}`);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  return { up, conns };
}

/** A client socket with a message queue, so a greeting sent right after the 101 isn't missed. */
function connectClient(url: string, userId: string) {
  const ws = new WebSocket(url, { headers: { 'x-user-id': userId } });
  const queue: string[] = [];
  const waiting: ((m: string) => void)[] = [];
  ws.on('message', (data: Buffer) => {
    const m = data.toString();
    const w = waiting.shift();
    if (w) w(m);
    else queue.push(m);
  });
  const next = () => within(new Promise<string>((r) => (queue.length ? r(queue.shift()!) : waiting.push(r))), 'a message');
  const closed = new Promise<{ code: number; reason: string }>((r) =>
    ws.once('close', (code, reason) => r({ code, reason: reason.toString() })),
  );
  return { ws, next, closed };
}

describe('websocket', () => {
  let a: WsUpstream, b: WsUpstream, refuser: TestUpstream, fl: TestFieldlab;
  const wsUrl = (path: string) => `ws://127.0.0.1:${fl.app.proxyPort()}${path}`;
  /** Connects as `userId` and returns the client plus which upstream greeted it. */
  async function open(userId: string, path = '/socket') {
    const c = connectClient(wsUrl(path), userId);
    const hello = await c.next();
    return { ...c, upstream: hello.replace('hello from ', '') };
  }
  beforeAll(async () => {
    a = await startWsUpstream('a');
    b = await startWsUpstream('b');
    refuser = await startUpstream('refuser');
    refuser.server.on('upgrade', (req, socket) => {
      // /refuse/cut dies mid-refusal: 7 of the 100 body bytes it announced, then the connection drops.
      if (req.url === '/refuse/cut') socket.write('HTTP/1.1 400 Bad Request\r\ncontent-length: 100\r\n\r\npartial', () => socket.destroy());
      else socket.end('HTTP/1.1 400 Bad Request\r\ncontent-type: text/plain\r\ncontent-length: 11\r\nconnection: close\r\n\r\nbad upgrade');
    });
    fl = await startFieldlab(`
upstreams: { a: ${a.up.url}, b: ${b.up.url}, refuser: ${refuser.url} }
routes:
  - name: refused
    match: { path: /refuse/* }
    arms: { control: refuser }
  - name: ws
    arms: { control: a, variant: b }
    split: { variant: 50 }
    sticky: [header:x-user-id]
    seed: websocket-test
`);
  });
  afterAll(async () => {
    for (const s of [...a.conns, ...b.conns]) s.ws.terminate();
    await fl.close();
    await Promise.all([a.up.close(), b.up.close(), refuser.close()]);
  });
  const lastConn = (name: string) => (name === 'a' ? a : b).conns.at(-1)!;

  it('relays messages both ways and tells the upstream the route and arm', async () => {
    const c = await open('user-1'); // the greeting already came upstream → client
    c.ws.send('ping');
    expect(await c.next()).toBe('ping');
    c.ws.send(Buffer.alloc(100_000, 7));
    expect((await c.next()).length).toBe(100_000);
    const { req } = lastConn(c.upstream);
    expect(req.headers['x-fieldlab-route']).toBe('ws');
    expect(req.headers['x-fieldlab-arm']).toBe(c.upstream === 'a' ? 'control' : 'variant');
    c.ws.close();
    await within(c.closed, 'client close');
  });

  it('keeps each user on one arm across connections (sticky by x-user-id)', async () => {
    const landed = new Map<string, string>();
    for (let round = 0; round < 2; round++) {
      for (let u = 0; u < 8; u++) {
        const c = await open(`user-${u}`);
        const arm = lastConn(c.upstream).req.headers['x-fieldlab-arm'];
        expect(arm).toBe(c.upstream === 'a' ? 'control' : 'variant');
        if (round === 0) landed.set(`user-${u}`, c.upstream);
        else expect(c.upstream, `user-${u}`).toBe(landed.get(`user-${u}`));
        c.ws.close();
        await within(c.closed, 'client close');
      }
    }
    // A 50% split over 8 users reaches both arms (fixed keys and a fixed seed: deterministic; with the
    // store's random seed all 8 landed on one arm in 1 run of 128).
    expect(new Set(landed.values())).toEqual(new Set(['a', 'b']));
  });

  it('closes the upstream side when the client closes, cleanly or abruptly', async () => {
    const c = await open('closer-1');
    const server = lastConn(c.upstream).ws;
    const serverClosed = new Promise<number>((r) => server.once('close', (code) => r(code)));
    c.ws.close(4001, 'bye');
    expect(await within(serverClosed, 'upstream to see the close')).toBe(4001);
    const d = await open('closer-1');
    const dropped = new Promise<number>((r) => lastConn(d.upstream).ws.once('close', (code) => r(code)));
    d.ws.terminate(); // TCP gone, no close frame: the proxy must still hang up upstream
    expect(await within(dropped, 'upstream to see the dropped connection')).toBe(1006);
  });

  it('closes the client side when the upstream closes, cleanly or abruptly', async () => {
    const c = await open('closer-2');
    lastConn(c.upstream).ws.close(4002, 'server bye');
    expect(await within(c.closed, 'client to see the close')).toEqual({ code: 4002, reason: 'server bye' });
    const d = await open('closer-2');
    lastConn(d.upstream).ws.terminate();
    expect((await within(d.closed, 'client to see the dropped connection')).code).toBe(1006);
  });

  /** Opens `path` expecting a refusal; resolves with what the client made of it. */
  function refusal(path: string): Promise<{ status: number; body: string; complete: boolean }> {
    const ws = new WebSocket(wsUrl(path));
    ws.on('error', () => undefined); // ws reports the request we destroy below as an error
    return within(
      new Promise((resolve, reject) => {
        ws.once('open', () => reject(new Error('upgrade unexpectedly succeeded')));
        ws.once('unexpected-response', (req, res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (c: string) => (body += c));
          res.on('error', () => undefined);
          res.once('close', () => {
            req.destroy();
            resolve({ status: res.statusCode ?? 0, body, complete: res.complete });
          });
        });
      }),
      `the refusal of ${path}`,
    );
  }

  it("relays an upstream's refusal to upgrade (400) to the client", async () => {
    expect(await refusal('/refuse/x')).toEqual({ status: 400, body: 'bad upgrade', complete: true });
  });

  it('cuts a refusal the upstream drops halfway instead of appending a second response', async () => {
    expect(await refusal('/refuse/cut')).toEqual({ status: 400, body: 'partial', complete: false });
  });

  it('counts upgrades in metrics like any exchange', async () => {
    const c = await open('metrics-user');
    c.ws.close();
    await c.closed;
    const text = await (await fetch(`${fl.adminUrl}/metrics`)).text();
    expect(text).toMatch(
      /^fieldlab_requests_total\{route="[^"]+",arm="[^"]+",upstream="[^"]+",status_class="1xx",code="101",fl_code=""\} [1-9]\d*$/m,
    );
  });
});
