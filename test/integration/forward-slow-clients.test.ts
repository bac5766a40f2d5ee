// Slow clients can't starve an upstream: trickled uploads are buffered before they take a connection
// (and cut below the minimum rate), clients that stop reading are cut after a stall or once half the
// pool sits with them, the wait queue is bounded and times out with a coded 503, and the latency
// guardrails see is the upstream's own, not the client's upload.
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { Logger } from 'pino';
import { Agent, request } from 'undici';
import { forwardStats } from '../../src/forward/stats.js';
import { recordingLogger, startFieldlab, startUpstream, type TestFieldlab } from '../helpers/servers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const MiB = 1024 * 1024;
const big = Buffer.alloc(16 * MiB, 'x');

async function app() {
  const up = await startUpstream('app', (req, res) => {
    if (req.url === '/big') return res.end(big);
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => res.end(`ok ${Buffer.concat(chunks).length}`));
  });
  up.server.maxConnections = 10_000;
  open.push(up);
  return up;
}

async function proxy(url: string, extra = '', logger?: Logger): Promise<TestFieldlab> {
  const fl = await startFieldlab(
    `
limits: { minUploadRate: 1KiB, uploadRateGrace: 5s, writeStallTimeout: 10s }
upstreams:
  a: { endpoints: [${url}]${extra} }
routes:
  - { name: r, arms: { control: a } }
`,
    logger ? { logger } : {},
  );
  open.push(fl);
  return fl;
}

/** Waits for `s` to close and checks it was answered 408 FL_UPLOAD_TOO_SLOW. */
async function expectSlowUploadCut(s: Socket): Promise<void> {
  const text = await new Promise<string>((resolve) => {
    let out = '';
    s.on('data', (c) => (out += c));
    s.on('close', () => resolve(out));
  });
  expect(text).toMatch(/^HTTP\/1\.1 408 /);
  expect(text).toContain('x-fieldlab-error: FL_UPLOAD_TOO_SLOW');
}

/** Raw sockets the test opens; all destroyed at the end. */
function attackers() {
  const sockets: Socket[] = [];
  open.push({ close: async () => sockets.forEach((s) => s.destroy()) });
  return {
    /** A POST that declares 100 bytes and sends one every 500 ms. */
    trickle(port: number) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write('POST /upload HTTP/1.1\r\nhost: a\r\ncontent-length: 100\r\n\r\n');
      const t = setInterval(() => (s.writable ? s.write('x') : clearInterval(t)), 500);
      s.on('close', () => clearInterval(t));
      sockets.push(s);
    },
    /** Asks for a 16 MiB response (more than loopback socket buffers absorb) and never reads it; reconnects when cut, as an attacker would. */
    noRead(port: number, again: () => boolean) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => undefined);
      s.write('GET /big HTTP/1.1\r\nhost: a\r\n\r\n');
      s.pause();
      s.on('close', () => again() && this.noRead(port, again));
      sockets.push(s);
    },
  };
}

describe('forward: slow clients', () => {
  it('keeps answering ordinary requests while 140 clients trickle uploads and 140 never read', async () => {
    const up = await app();
    const fl = await proxy(up.url);
    const port = fl.app.proxyPort();
    const before = { ...forwardStats };
    let attacking = true;
    const a = attackers();
    for (let i = 0; i < 140; i++) a.trickle(port);
    for (let i = 0; i < 140; i++) a.noRead(port, () => attacking);
    await new Promise((r) => setTimeout(r, 500));
    const agent = new Agent({ connections: 10 });
    open.push({ close: () => agent.close() });
    const statuses: number[] = [];
    const t0 = Date.now();
    const rounds: number[] = [];
    for (let round = 0; round < 20; round++) {
      rounds.push(Date.now() - t0);
      const batch = Array.from({ length: 10 }, async () => {
        try {
          const res = await request(`${fl.url}/probe`, { dispatcher: agent, headersTimeout: 15_000 });
          await res.body.text();
          return res.statusCode;
        } catch {
          return 0;
        }
      });
      statuses.push(...(await Promise.all(batch)));
    }
    attacking = false;
    const normal = statuses.filter((s) => s === 200).length;
    if (process.env.FL_ATTACK_REPORT) console.log({ rounds, failed: statuses.filter((s) => s !== 200), stats: forwardStats });
    expect(statuses).toHaveLength(200);
    expect(normal / statuses.length).toBeGreaterThanOrEqual(0.99);
    // The readers were cut (and counted), not left holding the pool.
    expect(forwardStats.stalledReaders - before.stalledReaders).toBeGreaterThan(0);
  }, 60_000);

  it('cuts an upload below limits.minUploadRate with 408 FL_UPLOAD_TOO_SLOW', async () => {
    const up = await app();
    const fl = await startFieldlab(`
limits: { minUploadRate: 1KiB, uploadRateGrace: 300ms }
upstreams: { a: ${up.url} }
routes: [{ name: r, arms: { control: a } }]
`);
    open.push(fl);
    const s = connect(fl.app.proxyPort(), '127.0.0.1');
    open.push({ close: async () => void s.destroy() });
    s.write('POST /upload HTTP/1.1\r\nhost: a\r\ncontent-length: 100\r\n\r\nxx');
    await expectSlowUploadCut(s);
    expect(up.seen).toHaveLength(0);
  });

  it('cuts an uploader that bursts then stalls: the rate is per window, a burst banks no stall', async () => {
    const up = await app();
    // A streamed body (bigger than bodyBuffer) on a pool of one connection.
    const fl = await startFieldlab(`
limits: { minUploadRate: 1KiB, uploadRateGrace: 300ms, bodyBuffer: 1KiB }
upstreams: { a: { endpoints: [${up.url}], connections: 1, queue: 4, timeouts: { queue: 20s } } }
routes: [{ name: r, arms: { control: a } }]
`);
    open.push(fl);
    const s = connect(fl.app.proxyPort(), '127.0.0.1');
    open.push({ close: async () => void s.destroy() });
    s.on('error', () => undefined);
    // 1 MiB of burst would average above 1 KiB/s for ~17 minutes; then nothing more is sent.
    s.write(`POST /upload HTTP/1.1\r\nhost: a\r\ncontent-length: ${4 * MiB}\r\n\r\n`);
    s.write(Buffer.alloc(MiB, 'x'));
    await expectSlowUploadCut(s);
    // The one upstream connection is free again: an ordinary request is served.
    const r = await request(`${fl.url}/probe`, { method: 'POST', body: 'hello' });
    expect(r.statusCode).toBe(200);
    expect(await r.body.text()).toBe('ok 5');
  }, 30_000);

  it('answers 503 FL_UPSTREAM_QUEUE_FULL past the queue, and FL_UPSTREAM_QUEUE_TIMEOUT after timeouts.queue', async () => {
    const hang = await startUpstream('hang', () => undefined);
    open.push(hang);
    const fl = await proxy(hang.url, ', connections: 1, queue: 1, timeouts: { queue: 300ms, headers: 5s }');
    const agent = new Agent({ connections: 10 });
    open.push({ close: () => agent.destroy() });
    const send = () =>
      request(`${fl.url}/x`, { dispatcher: agent }).then(async (r) => ({ status: r.statusCode, code: r.headers['x-fieldlab-error'] }));
    const first = send().catch(() => undefined); // holds the one connection
    await new Promise((r) => setTimeout(r, 100));
    const queued = send();
    await new Promise((r) => setTimeout(r, 50));
    expect(await send()).toEqual({ status: 503, code: 'FL_UPSTREAM_QUEUE_FULL' });
    expect(await queued).toEqual({ status: 503, code: 'FL_UPSTREAM_QUEUE_TIMEOUT' });
    void first;
  });

  it('serves the requests queued for an upstream whose pool options a hot reload changes', async () => {
    const held: (() => void)[] = [];
    const up = await startUpstream('held', (req, res) => {
      if (req.url === '/hold') held.push(() => res.end('held'));
      else res.end('ok');
    });
    open.push(up);
    const config = (connections: number) => `
upstreams: { a: { endpoints: [${up.url}], connections: ${connections}, queue: 4, timeouts: { queue: 20s } } }
routes: [{ name: r, arms: { control: a } }]
`;
    const fl = await startFieldlab(config(2));
    open.push(fl);
    const agent = new Agent({ connections: 10 });
    open.push({ close: () => agent.destroy() });
    const send = (path: string) =>
      request(`${fl.url}${path}`, { dispatcher: agent }).then(async (r) => ({
        status: r.statusCode,
        code: r.headers['x-fieldlab-error'],
        body: await r.body.text(),
      }));
    const holders = [send('/hold'), send('/hold')];
    while (held.length < 2) await new Promise((r) => setTimeout(r, 20));
    const queued = [send('/q1'), send('/q2'), send('/q3')];
    await new Promise((r) => setTimeout(r, 100));
    fl.writeConfig(config(3));
    expect((await fl.app.reload()).ok).toBe(true);
    for (const release of held) release();
    for (const r of await Promise.all(queued)) expect(r).toEqual({ status: 200, code: undefined, body: 'ok' });
    for (const r of await Promise.all(holders)) expect(r.status).toBe(200);
  });

  it('times the upstream, not the client: a body trickled over 0.5 s to a fast upstream has a small upstreamMs', async () => {
    const up = await app();
    const { logger, lines } = recordingLogger();
    const fl = await proxy(up.url, '', logger);
    for (const bodyBuffer of ['64KiB', '0']) {
      fl.writeConfig(`
limits: { bodyBuffer: ${bodyBuffer} }
upstreams: { a: ${up.url} }
routes: [{ name: r, arms: { control: a } }]
`);
      expect((await fl.app.reload()).ok).toBe(true);
      const s = connect(fl.app.proxyPort(), '127.0.0.1');
      open.push({ close: async () => void s.destroy() });
      s.write('POST /upload HTTP/1.1\r\nhost: a\r\ncontent-length: 4\r\n\r\n');
      for (let i = 0; i < 4; i++) {
        await new Promise((r) => setTimeout(r, 125));
        s.write('x');
      }
      await new Promise<void>((resolve) => s.once('data', () => resolve()));
      s.destroy();
      await new Promise((r) => setTimeout(r, 300));
      const line = lines.filter((l) => l.type === 'access').at(-1)!;
      expect(line.status).toBe(200);
      // The upload took about half a second; the upstream answered at once.
      expect(line.ms as number).toBeGreaterThanOrEqual(300);
      expect(line.upstreamMs as number).toBeLessThan((line.ms as number) / 3);
    }
  });
});
