// Header rewriting through a real Fieldlab: hop-by-hop fields stop at the proxy both ways (RFC 9110
// §7.6.1), forwarding headers are appended, and the proxy's own headers can't be spoofed by clients.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream, useServers } from '../helpers/servers.js';

/** Every value the upstream received for `name` (case-insensitive), from its raw header list. */
function values(req: IncomingMessage, name: string): string[] {
  const out: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i]!.toLowerCase() === name) out.push(req.rawHeaders[i + 1]!);
  }
  return out;
}

/**
 * Sends an exact request head over a raw socket and reads one Content-Length response off it.
 * Resolves with the status line and the headers the client saw.
 */
function rawRequest(port: number, lines: string[]): Promise<{ status: string; head: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(`${lines.join('\r\n')}\r\n\r\n`));
    let buf = '';
    socket.setEncoding('latin1');
    socket.on('error', reject);
    socket.on('data', (chunk: string) => {
      buf += chunk;
      const end = buf.indexOf('\r\n\r\n');
      if (end === -1) return;
      const head = buf.slice(0, end);
      const length = Number(/\r\ncontent-length: *(\d+)/i.exec(head)?.[1] ?? 0);
      if (buf.length - end - 4 < length) return;
      socket.destroy();
      resolve({ status: head.slice(0, head.indexOf('\r\n')), head });
    });
  });
}

describe('forward: headers', () => {
  let a: TestUpstream, b: TestUpstream, fl: TestFieldlab;
  const last = (up: TestUpstream) => up.seen[up.seen.length - 1]!;
  beforeAll(async () => {
    const ok = (res: import('node:http').ServerResponse) => res.writeHead(200, { 'content-length': 2 }).end('ok');
    a = await startUpstream('a', (req, res) => {
      // A response naming its own hop-by-hop field in Connection.
      if (req.url === '/resp-hop')
        res.writeHead(200, { connection: 'x-resp', 'x-resp': '1', 'x-keep': 'yes', 'content-length': 2 }).end('ok');
      else ok(res);
    });
    b = await startUpstream('b', (_req, res) => ok(res));
    fl = await startFieldlab(`
upstreams:
  a: ${a.url}
  b: { endpoints: [${b.url}], host: internal.svc }
routes:
  - name: rewritten
    match: { path: /rewrite/* }
    arms: { control: b }
  - name: r
    arms: { control: a }
`);
  });
  afterAll(async () => {
    await fl.close();
    await a.close();
    await b.close();
  });

  it('drops hop-by-hop request fields, including those named in Connection', async () => {
    const { status } = await rawRequest(fl.app.proxyPort(), [
      'GET /hop HTTP/1.1',
      'Host: shop.example',
      'Connection: keep-alive, x-hop',
      'x-hop: 1',
      'Keep-Alive: timeout=5',
      'TE: trailers',
      'Proxy-Connection: keep-alive',
      'Upgrade: h2c',
      'x-end-to-end: kept',
    ]);
    expect(status).toBe('HTTP/1.1 200 OK');
    const seen = last(a);
    for (const name of ['x-hop', 'keep-alive', 'te', 'proxy-connection', 'upgrade']) expect(values(seen, name), name).toEqual([]);
    // undici may state its own connection's persistence, never the client's tokens.
    for (const v of values(seen, 'connection')) expect(v).toMatch(/^(keep-alive|close)$/i);
    expect(values(seen, 'x-end-to-end')).toEqual(['kept']);
  });

  it("drops hop-by-hop response fields named in the upstream's Connection", async () => {
    const res = await new Promise<IncomingMessage>((resolve, reject) =>
      httpRequest(`${fl.url}/resp-hop`, { agent: false }, resolve).on('error', reject).end(),
    );
    res.resume();
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-resp']).toBeUndefined();
    expect(res.headers.connection).not.toMatch(/x-resp/);
    expect(res.headers['x-keep']).toBe('yes');
  });

  it('appends X-Forwarded-For and Via, sets X-Forwarded-Proto/Host, keeps traceparent', async () => {
    const traceparent = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';
    await rawRequest(fl.app.proxyPort(), [
      'GET /fwd HTTP/1.1',
      'Host: shop.example:8443',
      'X-Forwarded-For: 203.0.113.7',
      'Via: 1.0 corp-proxy',
      `traceparent: ${traceparent}`,
    ]);
    const seen = last(a);
    expect(values(seen, 'x-forwarded-for')).toEqual(['203.0.113.7, 127.0.0.1']);
    expect(values(seen, 'x-forwarded-proto')).toEqual(['http']);
    expect(values(seen, 'x-forwarded-host')).toEqual(['shop.example:8443']);
    expect(values(seen, 'via')).toEqual(['1.0 corp-proxy, 1.1 fieldlab']);
    expect(values(seen, 'traceparent')).toEqual([traceparent]);
    // Without a client value, the peer alone and our Via alone.
    await rawRequest(fl.app.proxyPort(), ['GET /fwd HTTP/1.1', 'Host: shop.example']);
    expect(values(last(a), 'x-forwarded-for')).toEqual(['127.0.0.1']);
    expect(values(last(a), 'via')).toEqual(['1.1 fieldlab']);
  });

  it("generates x-request-id when absent and keeps the client's when present", async () => {
    await rawRequest(fl.app.proxyPort(), ['GET /rid HTTP/1.1', 'Host: shop.example']);
    const generated = values(last(a), 'x-request-id');
    expect(generated).toHaveLength(1);
    expect(generated[0]).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    await rawRequest(fl.app.proxyPort(), ['GET /rid HTTP/1.1', 'Host: shop.example']);
    expect(values(last(a), 'x-request-id')[0]).not.toBe(generated[0]);
    await rawRequest(fl.app.proxyPort(), ['GET /rid HTTP/1.1', 'Host: shop.example', 'x-request-id: client-abc-123']);
    expect(values(last(a), 'x-request-id')).toEqual(['client-abc-123']);
  });

  it('sets x-fieldlab-route and x-fieldlab-arm itself, ignoring client-sent values', async () => {
    await rawRequest(fl.app.proxyPort(), ['GET /spoof HTTP/1.1', 'Host: shop.example', 'x-fieldlab-arm: evil', 'X-Fieldlab-Route: evil']);
    const seen = last(a);
    expect(values(seen, 'x-fieldlab-arm')).toEqual(['control']);
    expect(values(seen, 'x-fieldlab-route')).toEqual(['r']);
  });

  it('preserves Host by default and rewrites it when the upstream sets host:', async () => {
    await rawRequest(fl.app.proxyPort(), ['GET /keep HTTP/1.1', 'Host: shop.example']);
    expect(values(last(a), 'host')).toEqual(['shop.example']);
    await rawRequest(fl.app.proxyPort(), ['GET /rewrite/x HTTP/1.1', 'Host: shop.example']);
    const seen = last(b);
    expect(values(seen, 'host')).toEqual(['internal.svc']);
    expect(values(seen, 'x-forwarded-host')).toEqual(['shop.example']);
    expect(values(seen, 'x-fieldlab-route')).toEqual(['rewritten']);
  });
});

describe('forward: fieldlab-owned headers', () => {
  const servers = useServers();
  const up = (name: string) => servers.upstream(name);
  const fieldlab = (yaml: string) => servers.fieldlab(yaml);

  it('never forwards a client-sent x-fieldlab-shadow to the primary', async () => {
    const a = await up('a');
    const fl = await fieldlab(`upstreams: { a: ${a.url} }\nroutes: [{ name: r, arms: { control: a } }]\n`);
    const res = await request(`${fl.url}/x`, { headers: { 'x-fieldlab-shadow': '1' } });
    const seen = ((await res.body.json()) as { headers: Record<string, string> }).headers;
    expect(seen['x-fieldlab-shadow']).toBeUndefined();
  });
});
