// Upstream failures through a real Fieldlab: each one becomes a coded local reply (or, once the
// response has started, a cut connection), dead endpoints are ejected, and a client that leaves
// cancels its upstream request. Connect timeouts are not covered: loopback can't produce an honest one.
import { createServer, request as httpRequest, type IncomingMessage } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

/** Rejects if `p` has not settled in `ms`: turns a missing behaviour into a failure, not a hang. */
function within<T>(p: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** An origin nothing listens on: a port that was bound, then released. */
async function deadOrigin(): Promise<string> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return `http://127.0.0.1:${port}`;
}

/** A local reply's JSON body. */
interface LocalReply {
  error: { code: string; message: string; requestId: string };
}

/** GET through the proxy, returning status, error code header and body (parsed when it is a local reply). */
async function get(base: string, path = '/x') {
  const res = await request(`${base}${path}`);
  const text = await res.body.text();
  const json = res.headers['x-fieldlab-error'] ? (JSON.parse(text) as LocalReply) : undefined;
  return { status: res.statusCode, code: res.headers['x-fieldlab-error'], rid: res.headers['x-request-id'], json, text };
}

describe('forward: upstream failures', () => {
  const open: { close(): Promise<void> }[] = [];
  afterEach(async () => {
    // Proxy first: its pools must not hold sockets the upstreams are waiting on.
    for (const o of open.splice(0).reverse()) await o.close();
  });
  async function upstream(name: string, handler?: Parameters<typeof startUpstream>[1]): Promise<TestUpstream> {
    const up = await startUpstream(name, handler);
    open.push(up);
    return up;
  }
  /** A Fieldlab with one route sending everything to upstream `a` (YAML value given). */
  async function proxy(a: string): Promise<TestFieldlab> {
    const fl = await startFieldlab(`
upstreams:
  a: ${a}
routes:
  - name: r
    arms: { control: a }
`);
    open.push(fl);
    return fl;
  }

  it('answers 502 FL_UPSTREAM_CONNECT with a JSON body when the upstream refuses connections', async () => {
    const fl = await proxy(await deadOrigin());
    const r = await get(fl.url);
    expect(r.status).toBe(502);
    expect(r.code).toBe('FL_UPSTREAM_CONNECT');
    expect(r.json).toEqual({ error: { code: 'FL_UPSTREAM_CONNECT', message: expect.any(String), requestId: r.rid } });
    expect(r.rid).toBeTruthy();
  });

  it('answers 504 FL_UPSTREAM_TIMEOUT when the upstream accepts but never sends headers', async () => {
    const up = await upstream('silent', () => undefined);
    const fl = await proxy(`{ endpoints: [${up.url}], timeouts: { headers: 300ms } }`);
    const r = await get(fl.url);
    expect(r.status).toBe(504);
    expect(r.code).toBe('FL_UPSTREAM_TIMEOUT');
    expect(r.json?.error.code).toBe('FL_UPSTREAM_TIMEOUT');
    expect(up.seen).toHaveLength(1);
  });

  it("cuts the client's response when the upstream stalls mid-body past the idle timeout", async () => {
    const up = await upstream('stalls', (req, res) => {
      // Chunked and Content-Length framings: both must end truncated, never look complete.
      res.writeHead(200, req.url === '/cl' ? { 'content-length': 1000 } : {});
      res.write('partial');
    });
    const fl = await proxy(`{ endpoints: [${up.url}], timeouts: { idle: 300ms } }`);
    const cut = async (path: string) => {
      const res = await new Promise<IncomingMessage>((resolve, reject) =>
        httpRequest(`${fl.url}${path}`, { agent: false }, resolve).on('error', reject).end(),
      );
      let body = '';
      res.setEncoding('utf8').on('data', (c: string) => (body += c));
      res.on('error', () => undefined); // 'aborted' surfaces as an error on newer Node versions
      await within(new Promise((r) => res.once('close', r)), `${path}: response to be cut`);
      return { status: res.statusCode, body, complete: res.complete };
    };
    const [chunked, sized] = await Promise.all([cut('/chunked'), cut('/cl')]);
    expect(chunked).toEqual({ status: 200, body: 'partial', complete: false });
    expect(sized).toEqual({ status: 200, body: 'partial', complete: false });
  });

  it('answers 502 FL_UPSTREAM_RESET when the upstream drops the connection mid-request', async () => {
    // Drops a GET before answering; drops a POST as soon as its body starts arriving.
    const up = await upstream('resets', (req) =>
      req.method === 'GET' ? req.socket.destroy() : req.once('data', () => req.socket.destroy()),
    );
    const fl = await proxy(up.url);
    const r = await get(fl.url);
    expect(r.status).toBe(502);
    expect(r.code).toBe('FL_UPSTREAM_RESET');
    // Mid-upload: the client has declared 10 MB, sent 1 MiB and is still going when the upstream dies.
    const client = httpRequest(`${fl.url}/upload`, { method: 'POST', agent: false, headers: { 'content-length': 10_000_000 } });
    client.on('error', () => undefined);
    client.write(Buffer.alloc(1024 * 1024));
    const res = await within(new Promise<IncomingMessage>((resolve) => client.once('response', resolve)), 'a reply while still uploading');
    res.resume();
    expect(res.statusCode).toBe(502);
    expect(res.headers['x-fieldlab-error']).toBe('FL_UPSTREAM_RESET');
    client.destroy();
    expect(up.seen).toHaveLength(2);
  });

  it('ejects an endpoint after 3 connect failures and then answers 503 FL_NO_ENDPOINT', async () => {
    const fl = await proxy(await deadOrigin());
    for (let i = 0; i < 3; i++) expect((await get(fl.url)).code).toBe('FL_UPSTREAM_CONNECT');
    const r = await get(fl.url);
    expect(r.status).toBe(503);
    expect(r.code).toBe('FL_NO_ENDPOINT');
    expect(r.json?.error.code).toBe('FL_NO_ENDPOINT');
  });

  it('keeps serving from the live endpoint once the dead one is ejected', async () => {
    const alive = await upstream('alive');
    const fl = await proxy(`[${await deadOrigin()}, ${alive.url}]`);
    // Round-robin alternates until the dead endpoint's third failure ejects it.
    const first: number[] = [];
    for (let i = 0; i < 6; i++) first.push((await get(fl.url)).status);
    expect(first.filter((s) => s === 502)).toHaveLength(3);
    expect(first.filter((s) => s === 200)).toHaveLength(3);
    for (let i = 0; i < 6; i++) {
      const r = await get(fl.url);
      expect(r.status).toBe(200);
      expect(JSON.parse(r.text).name).toBe('alive');
    }
  });

  it('cancels the upstream request when the client goes away', async () => {
    for (const method of ['GET', 'POST']) {
      let arrived!: (s: Socket) => void;
      const upstreamSocket = new Promise<Socket>((r) => (arrived = r));
      // Never answers; for POST, signals once body bytes arrive (the client is still sending).
      const up = await upstream('hangs', (req) => (method === 'GET' ? arrived(req.socket) : req.once('data', () => arrived(req.socket))));
      const fl = await proxy(up.url);
      const client = httpRequest(`${fl.url}/slow`, {
        method,
        agent: false,
        headers: method === 'POST' ? { 'content-length': 1_000_000 } : {},
      });
      client.on('error', () => undefined);
      if (method === 'POST') client.write(Buffer.alloc(64 * 1024));
      else client.end();
      const socket = await within(upstreamSocket, `${method}: upstream to receive the request`);
      const closed = new Promise((r) => socket.once('close', r));
      client.destroy();
      await within(closed, `${method}: upstream connection to close after the client left`);
      expect(socket.destroyed).toBe(true);
    }
  });

  it("spreads requests round-robin over an upstream's endpoints", async () => {
    const one = await upstream('one');
    const two = await upstream('two');
    const fl = await proxy(`[${one.url}, ${two.url}]`);
    const names: string[] = [];
    for (let i = 0; i < 6; i++) names.push(JSON.parse((await get(fl.url)).text).name as string);
    expect(names.filter((n) => n === 'one')).toHaveLength(3);
    expect(names.filter((n) => n === 'two')).toHaveLength(3);
    expect(new Set([names[0], names[1]]).size).toBe(2); // alternating, not one then the other
  });

  it('answers an upstream reason phrase Node cannot relay with the standard one', async () => {
    const raw = createNetServer((s) => s.once('data', () => s.end('HTTP/1.1 200 OK\x01bad\r\ncontent-length: 2\r\n\r\nok')));
    await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
    open.push({ close: () => new Promise((r) => raw.close(() => r())) });
    const fl = await proxy(`http://127.0.0.1:${(raw.address() as AddressInfo).port}`);
    const res = await request(`${fl.url}/x`, { headersTimeout: 5000, bodyTimeout: 5000 });
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('ok');
  });
});
