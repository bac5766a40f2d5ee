// Streaming through a real Fieldlab: large bodies flow both ways without being buffered, framing
// (chunked, Content-Length, HEAD, 204, 304, 100-continue, trailers) survives, and a slow client
// pushes back on the upstream instead of filling the proxy's memory.
import { createHash, randomBytes } from 'node:crypto';
import { request as httpRequest, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

const MiB = 1024 * 1024;
const CHUNK = 256 * 1024;
const BIG = 50 * MiB;

/** Rejects if `p` has not settled in `ms`: turns a missing behaviour into a failure, not a hang. */
function within<T>(p: Promise<T>, what: string, ms = 5_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const limit = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out waiting for: ${what}`)), ms)));
  return Promise.race([p, limit]).finally(() => clearTimeout(timer));
}

/** A promise with its settlers, for "tell me when X happened" signals between client and upstream. */
function deferred<T = void>(): { promise: Promise<T>; resolve(v: T): void; reject(e: Error): void } {
  let resolve!: (v: T) => void, reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Writes `total` random bytes in CHUNK pieces, honouring the stream's backpressure; returns their sha256. */
async function writeRandom(out: ClientRequest | ServerResponse, total: number, hash = createHash('sha256')): Promise<string> {
  for (let sent = 0; sent < total; sent += CHUNK) {
    const chunk = randomBytes(Math.min(CHUNK, total - sent));
    hash.update(chunk);
    if (!out.write(chunk)) await new Promise((r) => out.once('drain', r));
  }
  return hash.digest('hex');
}

/** Reads a stream to the end, returning its byte count and sha256; `onFirst` fires on the first bytes. */
async function digest(stream: AsyncIterable<Buffer>, onFirst?: () => void): Promise<{ bytes: number; sha: string }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of stream) {
    if (bytes === 0) onFirst?.();
    hash.update(chunk);
    bytes += chunk.length;
  }
  return { bytes, sha: hash.digest('hex') };
}

/** Reads a whole message as text. */
async function text(stream: AsyncIterable<Buffer>): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks).toString();
}

/** Upstream handler: answers with the body's size and sha256 and the framing headers it saw. */
const hashBodyThen =
  (onFirst?: () => void): Handler =>
  (req, res) => {
    void digest(req, onFirst).then((d) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          ...d,
          te: req.headers['transfer-encoding'] ?? null,
          cl: req.headers['content-length'] ?? null,
          expect: req.headers.expect ?? null,
        }),
      );
    });
  };
const hashBody = hashBodyThen();

/** Sends a raw `Connection: close` request and returns everything the proxy wrote before closing. */
function rawExchange(port: number, raw: string): Promise<string> {
  return new Promise((resolve, reject) => {
    // write, not end: Node's server aborts requests whose client half-closes.
    const socket = connect(port, '127.0.0.1', () => socket.write(raw));
    const chunks: Buffer[] = [];
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('latin1')));
  });
}

describe('forward: streaming and framing', () => {
  let up: TestUpstream, fl: TestFieldlab;
  let handler: Handler = hashBody;
  beforeAll(async () => {
    up = await startUpstream('a', (req, res) => handler(req, res));
    fl = await startFieldlab(`
upstreams: { a: ${up.url} }
routes:
  - name: r
    arms: { control: a }
`);
  });
  afterAll(async () => {
    await fl.close();
    await up.close();
  });
  // Errors surface through responseOf; the no-op keeps a failed test's leftover socket quiet.
  const post = (headers: Record<string, string | number>) =>
    httpRequest(`${fl.url}/upload`, { method: 'POST', agent: false, headers }).on('error', () => undefined);
  const responseOf = (req: ClientRequest) =>
    new Promise<IncomingMessage>((resolve, reject) => req.on('response', resolve).on('error', reject));

  it('streams a 50 MiB request body to the upstream before the client has finished sending it', async () => {
    const upstreamSawData = deferred();
    handler = hashBodyThen(() => upstreamSawData.resolve());
    const req = post({ 'content-length': BIG });
    const hash = createHash('sha256');
    const first = randomBytes(CHUNK);
    hash.update(first);
    req.write(first);
    // Held until the upstream has bytes: a proxy that buffered the body would never get here.
    await within(upstreamSawData.promise, 'upstream to see the first chunk while the client still holds 50 MiB back');
    const sentSha = await writeRandom(req, BIG - CHUNK, hash);
    req.end();
    const res = await responseOf(req);
    const got = JSON.parse(await text(res)) as { bytes: number; sha: string };
    expect(res.statusCode).toBe(200);
    expect(got).toMatchObject({ bytes: BIG, sha: sentSha });
  });

  it('streams a 50 MiB response to the client while the upstream still holds the rest back', async () => {
    const clientSawData = deferred();
    const upstreamSha = deferred<string>();
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': BIG, 'content-type': 'application/octet-stream' });
      const hash = createHash('sha256');
      const first = randomBytes(CHUNK);
      hash.update(first);
      res.write(first);
      within(clientSawData.promise, 'client to see the first chunk while the upstream holds 50 MiB back').then(
        async () => {
          upstreamSha.resolve(await writeRandom(res, BIG - CHUNK, hash));
          res.end();
        },
        (err: Error) => {
          res.destroy(); // fail now rather than leave the client waiting
          upstreamSha.reject(err);
        },
      );
    };
    const client = responseOf(httpRequest(`${fl.url}/download`, { agent: false }).end()).then(async (res) => ({
      status: res.statusCode,
      ...(await digest(res, () => clientSawData.resolve())),
    }));
    const [got, sha] = await Promise.all([client, upstreamSha.promise]);
    expect(got).toEqual({ status: 200, bytes: BIG, sha });
  });

  it('relays chunked and Content-Length request bodies intact, keeping their framing', async () => {
    handler = hashBody;
    for (const framing of ['chunked', 'content-length'] as const) {
      const body = randomBytes(300_000);
      const req = post(framing === 'chunked' ? {} : { 'content-length': body.length });
      req.write(body.subarray(0, 1000));
      req.end(body.subarray(1000));
      const res = await responseOf(req);
      const got = JSON.parse(await text(res)) as Record<string, unknown>;
      expect(got).toMatchObject({ bytes: body.length, sha: createHash('sha256').update(body).digest('hex') });
      expect(framing === 'chunked' ? got.te : got.cl).toBe(framing === 'chunked' ? 'chunked' : String(body.length));
    }
  });

  it('answers HEAD, 204 and 304 with headers and no body', async () => {
    handler = (req, res) => {
      if (req.url === '/204') res.writeHead(204, { 'x-kind': 'no-content' }).end();
      else if (req.url === '/304') res.writeHead(304, { etag: '"v1"' }).end();
      else
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 11 }).end(req.method === 'HEAD' ? undefined : 'hello world');
    };
    const exchange = (method: string, path: string) =>
      rawExchange(fl.app.proxyPort(), `${method} ${path} HTTP/1.1\r\nHost: shop\r\nConnection: close\r\n\r\n`);
    const head = await exchange('HEAD', '/x');
    expect(head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(head).toMatch(/\r\ncontent-length: 11\r\n/i);
    expect(head.endsWith('\r\n\r\n')).toBe(true); // nothing after the head
    const noContent = await exchange('GET', '/204');
    expect(noContent).toMatch(/^HTTP\/1\.1 204 No Content\r\n/);
    expect(noContent).toMatch(/\r\nx-kind: no-content\r\n/i);
    expect(noContent.endsWith('\r\n\r\n')).toBe(true);
    const notModified = await exchange('GET', '/304');
    expect(notModified).toMatch(/^HTTP\/1\.1 304 Not Modified\r\n/);
    expect(notModified).toMatch(/\r\netag: "v1"\r\n/i);
    expect(notModified.endsWith('\r\n\r\n')).toBe(true);
    // The same through a keep-alive client: the next response on the connection still parses.
    const viaUndici = await request(`${fl.url}/x`, { method: 'HEAD' });
    expect(viaUndici.statusCode).toBe(200);
    expect(await viaUndici.body.text()).toBe('');
  });

  it('answers Expect: 100-continue with 100, then relays the body and the final response', async () => {
    handler = hashBody;
    const body = randomBytes(64 * 1024);
    const req = post({ 'content-length': body.length, expect: '100-continue' });
    const continued = new Promise<void>((resolve) =>
      req.once('continue', () => {
        req.end(body);
        resolve();
      }),
    );
    const response = responseOf(req); // listen now: a refusal could arrive right behind the 100
    req.flushHeaders();
    await within(continued, '100 Continue');
    const res = await response;
    const got = JSON.parse(await text(res)) as Record<string, unknown>;
    expect(res.statusCode).toBe(200);
    // The proxy answered the expectation itself; the upstream gets a plain request.
    expect(got).toMatchObject({ bytes: body.length, sha: createHash('sha256').update(body).digest('hex'), expect: null });
  });

  it('relays response trailers the upstream declared and sent', async () => {
    handler = (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-checksum' });
      res.write('part one, ');
      res.addTrailers({ 'x-checksum': 'abc123' });
      res.end('part two');
    };
    const res = await responseOf(httpRequest(`${fl.url}/trailers`, { agent: false }).end());
    const body = await text(res);
    expect(body).toBe('part one, part two');
    expect(res.headers.trailer).toBe('x-checksum');
    expect(res.trailers).toEqual({ 'x-checksum': 'abc123' });
    // An HTTP/1.0 client can't take a chunked body, so it gets the body without the declaration
    // (not a 500 from Node refusing to declare trailers on unchunked framing).
    const old = await rawExchange(fl.app.proxyPort(), 'GET /trailers HTTP/1.0\r\nHost: shop\r\n\r\n');
    expect(old).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(old).not.toMatch(/\r\ntrailer:/i);
    expect(old.endsWith('\r\n\r\npart one, part two')).toBe(true);
  });

  it("pushes a slow client's backpressure back to the upstream instead of buffering the response", async () => {
    const TOTAL = 128 * MiB;
    const block = randomBytes(MiB);
    const sent = { written: 0, waitingDrain: false, ended: false }; // the upstream's side
    handler = (_req, res) => {
      res.writeHead(200, { 'content-length': TOTAL });
      const pump = () => {
        while (sent.written < TOTAL) {
          sent.written += block.length;
          if (!res.write(block)) {
            sent.waitingDrain = true;
            res.once('drain', () => {
              sent.waitingDrain = false;
              pump();
            });
            return;
          }
        }
        res.end();
        sent.ended = true;
      };
      pump();
    };
    const res = await responseOf(httpRequest(`${fl.url}/big`, { agent: false }).end());
    res.pause(); // Node stops reading the socket once this response's buffer is full
    // Poll until the upstream is parked on 'drain' with no progress for several rounds, or has
    // written everything (what a buffering proxy would allow).
    let last = -1;
    for (let stable = 0, rounds = 0; stable < 5 && !sent.ended && rounds < 500; rounds++) {
      await new Promise((r) => setTimeout(r, 20));
      stable = sent.waitingDrain && sent.written === last ? stable + 1 : 0;
      last = sent.written;
    }
    // Parked with a few MiB in socket buffers, far from the 128 MiB a buffering proxy would take.
    expect(sent.ended).toBe(false);
    expect(sent.written).toBeLessThan(TOTAL);
    // Reading again lets the rest through: the proxy resumed the upstream on 'drain'.
    let bytes = 0;
    res.on('data', (c: Buffer) => (bytes += c.length));
    res.resume();
    await within(new Promise((r) => res.once('end', r)), 'the rest of the response after resuming', 20_000);
    expect(bytes).toBe(TOTAL);
    expect(sent.ended).toBe(true);
  });
});
