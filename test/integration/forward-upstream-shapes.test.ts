// Upstream responses of every odd shape, from a raw TCP server: valid-but-unusual ones reach the
// client intact (204/304 with Content-Length, 1xx before the answer), invalid ones become 502
// FL_UPSTREAM_PROTOCOL (never 500 FL_INTERNAL), and a stream of 1xx can't outlive the headers timeout.
import { connect } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { rawExchange } from '../helpers/raw.js';
import { type RawUpstream, startRawUpstream } from '../helpers/raw-upstream.js';
import { recordingLogger, startFieldlab, type TestFieldlab } from '../helpers/servers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function through(answer: Parameters<typeof startRawUpstream>[0], timeouts = ''): Promise<{ up: RawUpstream; fl: TestFieldlab }> {
  const up = await startRawUpstream(answer);
  open.push(up);
  const fl = await startFieldlab(`
upstreams:
  a: { endpoints: [${up.url}]${timeouts} }
routes:
  - { name: r, arms: { control: a } }
`);
  open.push(fl);
  return { up, fl };
}

/** Sends one raw GET and returns everything the proxy wrote back (until close or idle). */
function rawGet(port: number, idleMs = 1_500): Promise<string> {
  return new Promise((resolve) => {
    const s = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      s.destroy();
      resolve(Buffer.concat(chunks).toString('latin1'));
    };
    s.setTimeout(idleMs, done);
    s.on('data', (c) => chunks.push(c));
    s.on('close', done);
    s.on('error', done);
    s.write('GET /x HTTP/1.1\r\nhost: a\r\n\r\n');
  });
}

const ok = 'HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\nok';

describe('forward: upstream response shapes', () => {
  it.each([
    ['204', 'HTTP/1.1 204 No Content\r\ncontent-length: 17\r\n\r\n'],
    ['304', 'HTTP/1.1 304 Not Modified\r\netag: "v1"\r\ncontent-length: 1234\r\n\r\n'],
  ])('relays a %s with Content-Length intact (RFC 9110 §8.6) and keeps serving', async (status, answer) => {
    const { fl } = await through((s) => s.write(answer));
    for (let i = 0; i < 2; i++) {
      const r = await rawExchange(fl.app.proxyPort(), 'GET /x HTTP/1.1\r\nhost: a\r\nif-none-match: "v1"\r\n\r\n', 800);
      expect(r.status).toBe(Number(status));
      expect(r.headers['content-length']).toBe(answer.match(/content-length: (\d+)/)![1]);
      expect(r.headers['x-fieldlab-error']).toBeUndefined();
      expect(r.body).toBe('');
    }
    const res = await fetch(`${fl.url}/x`);
    expect(res.status).toBe(Number(status));
  });

  it.each([
    ['a bad status line', 'HTTP/1.1 abc Nope\r\n\r\n'],
    ['garbage', 'hello, this is not HTTP\r\n\r\n'],
    ['HTTP/0.9 (a body, no head)', '<html>ok</html>'],
    ['NUL in a header value', 'HTTP/1.1 200 OK\r\nx-a: b\x00c\r\ncontent-length: 2\r\n\r\nok'],
    ['a space in a header name', 'HTTP/1.1 200 OK\r\nx a: b\r\ncontent-length: 2\r\n\r\nok'],
    ['bare-LF line ends', 'HTTP/1.1 200 OK\ncontent-length: 2\n\nok'],
    ['a 16 KiB header', `HTTP/1.1 200 OK\r\nx-big: ${'a'.repeat(16 * 1024)}\r\ncontent-length: 2\r\n\r\nok`],
    ['10,000 headers', `HTTP/1.1 200 OK\r\n${'x-h: 1\r\n'.repeat(10_000)}content-length: 2\r\n\r\nok`],
    ['status 099', 'HTTP/1.1 099 Odd\r\ncontent-length: 2\r\n\r\nok'],
    ['status 1000', 'HTTP/1.1 1000 Odd\r\ncontent-length: 2\r\n\r\nok'],
  ])('answers %s with 502 FL_UPSTREAM_PROTOCOL', async (_what, answer) => {
    const { fl } = await through((s) => s.end(answer));
    const res = await fetch(`${fl.url}/x`);
    expect(res.status).toBe(502);
    expect(res.headers.get('x-fieldlab-error')).toBe('FL_UPSTREAM_PROTOCOL');
  });

  it.each([
    ['status 1000', 'HTTP/1.1 1000 Odd\r\ncontent-length: 2\r\n\r\nok'],
    ['status 1001', 'HTTP/1.1 1001 Odd\r\ncontent-length: 2\r\n\r\nok'],
    ['status 100x', 'HTTP/1.1 100x Odd\r\ncontent-length: 2\r\n\r\nok'],
    ['a bare-LF 100', `HTTP/1.1 100 Continue\n\n${ok}`],
    ['a bare-LF 103', `HTTP/1.1 103 Early Hints\nlink: </a>\n\n${ok}`],
    ['a malformed first body chunk', 'HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\nok\r\n0\r\n\r\n'],
  ])('answers %s on a connection left open with a prompt 502, not a 504 at the headers timeout', async (_what, answer) => {
    const { fl } = await through((s) => s.write(answer), ', timeouts: { headers: 60s }');
    const res = await fetch(`${fl.url}/x`, { signal: AbortSignal.timeout(10_000) });
    expect(res.status).toBe(502);
    expect(res.headers.get('x-fieldlab-error')).toBe('FL_UPSTREAM_PROTOCOL');
  });

  it('logs what the client got (502) when the first body chunk is malformed, not the upstream 200', async () => {
    const up = await startRawUpstream((s) => s.write('HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\nzz\r\n'));
    open.push(up);
    const { logger, lines } = recordingLogger();
    const fl = await startFieldlab(`upstreams: { a: ${up.url} }\nroutes: [{ name: r, arms: { control: a } }]\n`, { logger });
    open.push(fl);
    const res = await fetch(`${fl.url}/x`);
    expect(res.status).toBe(502);
    await res.text();
    const access = lines.filter((l) => l.code === 'FL_UPSTREAM_PROTOCOL');
    expect(access.map((l) => l.status)).toEqual([502]);
  });

  it('does not turn an unexpected 100 Continue into a 502, even several of them', async () => {
    const { fl } = await through((s) => s.write(`HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 100 Continue\r\nx-n: 2\r\n\r\n${ok}`));
    for (let i = 0; i < 3; i++) {
      const res = await fetch(`${fl.url}/x`);
      expect(res.status).toBe(200);
      expect(await res.text()).toBe('ok');
    }
  });

  it('relays 1xx interim responses to an HTTP/1.1 client before the final one (RFC 9110 §15.2)', async () => {
    const { fl } = await through((s) => {
      s.write('HTTP/1.1 103 Early Hints\r\nlink: </a.css>; rel=preload\r\n\r\n');
      setTimeout(() => s.write(`HTTP/1.1 102 Processing\r\n\r\n${ok}`), 30);
    });
    const text = await rawGet(fl.app.proxyPort(), 600);
    expect(text).toMatch(
      /^HTTP\/1\.1 103 Early Hints\r\nlink: <\/a\.css>; rel=preload\r\n\r\nHTTP\/1\.1 102 Processing\r\n\r\nHTTP\/1\.1 200 OK\r\n/,
    );
    expect(text.endsWith('ok')).toBe(true);
  });

  it.each([
    ['102 Processing', 'HTTP/1.1 102 Processing\r\n\r\n'],
    ['100 Continue', 'HTTP/1.1 100 Continue\r\n\r\n'],
  ])('ends a stream of %s with 504 at the headers timeout instead of waiting forever', async (_what, interim) => {
    const timers: NodeJS.Timeout[] = [];
    const { fl } = await through((s) => {
      const t = setInterval(() => s.writable && s.write(interim), 50);
      timers.push(t);
      s.on('close', () => clearInterval(t));
    }, ', timeouts: { headers: 400ms }');
    open.push({ close: async () => timers.forEach(clearInterval) });
    const started = Date.now();
    const res = await fetch(`${fl.url}/x`, { signal: AbortSignal.timeout(5_000) });
    expect(res.status).toBe(504);
    expect(res.headers.get('x-fieldlab-error')).toBe('FL_UPSTREAM_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(4_000);
  });
});
