// Client-side protections: malformed, ambiguous, oversized and slow requests get coded 4xx answers
// and never reach an upstream.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { rawExchange } from '../helpers/raw.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

describe('ingress protections', () => {
  let up: TestUpstream;
  let fl: TestFieldlab;
  let port: number;
  beforeAll(async () => {
    up = await startUpstream('a');
    fl = await startFieldlab(`
limits: { maxHeaders: 20, maxHeaderSize: 8KiB, headersTimeout: 500ms, requestTimeout: 2s }
upstreams: { a: ${up.url} }
routes:
  - name: api
    match: { path: /api/* }
    arms: { control: a }
`);
    port = fl.app.proxyPort();
  });
  afterAll(async () => {
    await fl.close();
    await up.close();
  });

  it('rejects Content-Length together with Transfer-Encoding with 400 FL_AMBIGUOUS_FRAMING', async () => {
    const before = up.seen.length;
    const res = await rawExchange(
      port,
      'POST /api/x HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    );
    expect(res.status).toBe(400);
    expect(res.headers['x-fieldlab-error']).toBe('FL_AMBIGUOUS_FRAMING');
    expect(up.seen.length).toBe(before);
  });

  it('rejects conflicting and duplicate Content-Length with 400', async () => {
    for (const lengths of ['Content-Length: 3\r\nContent-Length: 4', 'Content-Length: 3\r\nContent-Length: 3']) {
      const res = await rawExchange(port, `POST /api/x HTTP/1.1\r\nHost: x\r\n${lengths}\r\n\r\nabcd`);
      expect(res.status).toBe(400);
      expect(res.headers['x-fieldlab-error']).toBe('FL_AMBIGUOUS_FRAMING');
    }
  });

  it('answers 431 to an oversized head and to too many headers', async () => {
    const big = await rawExchange(port, `GET /api/x HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`);
    expect(big.status).toBe(431);
    expect(big.headers['x-fieldlab-error']).toBe('FL_HEADERS_TOO_LARGE');
    const many = Array.from({ length: 25 }, (_, i) => `X-H${i}: 1\r\n`).join('');
    const res = await rawExchange(port, `GET /api/x HTTP/1.1\r\nHost: x\r\n${many}\r\n`);
    expect(res.status).toBe(431);
    expect(res.headers['x-fieldlab-error']).toBe('FL_HEADERS_TOO_LARGE');
  });

  it('times out a client that never finishes its headers (slowloris) with 408', async () => {
    const res = await rawExchange(port, 'GET /api/x HTTP/1.1\r\nHost: x\r\nX-Slow: 1\r\n', 5_000);
    expect(res.status).toBe(408);
    expect(res.headers['x-fieldlab-error']).toBe('FL_REQUEST_TIMEOUT');
  });

  it('answers 400 to garbage and to a missing Host, and keeps serving', async () => {
    const garbage = await rawExchange(port, 'HELLO\r\n\r\n');
    expect(garbage.status).toBe(400);
    expect(garbage.headers['x-fieldlab-error']).toBe('FL_BAD_REQUEST');
    const noHost = await rawExchange(port, 'GET /api/x HTTP/1.1\r\n\r\n');
    expect(noHost.status).toBe(400);
    const absolute = await rawExchange(port, 'GET http://evil.example/api/x HTTP/1.1\r\nHost: x\r\n\r\n');
    expect(absolute.status).toBe(400);
    const ok = await request(`${fl.url}/api/ok`);
    expect(ok.statusCode).toBe(200);
    await ok.body.text();
  });

  it('answers 404 FL_NO_ROUTE with a JSON body when nothing matches', async () => {
    const res = await request(`${fl.url}/elsewhere`, { headers: { 'x-request-id': 'rid-1' } });
    expect(res.statusCode).toBe(404);
    expect(res.headers['x-fieldlab-error']).toBe('FL_NO_ROUTE');
    expect(await res.body.json()).toEqual({ error: { code: 'FL_NO_ROUTE', message: 'no route matches this request', requestId: 'rid-1' } });
  });
});
