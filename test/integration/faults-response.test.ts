// Response faults end to end on real sockets: a first-byte delay holds the head at least its delay
// (measured by a raw client), a throttle sends the body no faster than its rate while the upstream
// is paused in step (it cannot write a big body ahead into the proxy), a client that leaves ends
// the upstream exchange, the kill switch releases a held head and a throttled body at once, and
// every response fault is counted, logged and spanned.

import { connect, type Socket } from 'node:net';
import type { ServerResponse } from 'node:http';
import { request } from 'undici';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTracing } from '../../src/telemetry/tracing.js';
import { recordingLogger, startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const KiB = 1024;

/** Writes `total` bytes in 16 KiB chunks, honouring backpressure; `written` counts what the socket took. */
function bigBody(total: number, state: { written: number; closed: boolean }) {
  return (res: ServerResponse) => {
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': String(total),
    });
    res.on('close', () => (state.closed = true));
    const chunk = Buffer.alloc(16 * KiB, 0x61);
    const more = () => {
      while (state.written < total && !res.destroyed) {
        const n = Math.min(chunk.length, total - state.written);
        state.written += n;
        if (!res.write(n === chunk.length ? chunk : chunk.subarray(0, n))) return void res.once('drain', more);
      }
      if (state.written >= total) res.end();
    };
    more();
  };
}

/** A raw HTTP/1.1 GET: when the first byte came, and every byte count over time. */
function rawGet(
  url: string,
  path: string,
): {
  socket: Socket;
  firstByte: Promise<number>;
  done: Promise<{ bytes: number; at: number }>;
  bytes(): number;
} {
  const { port } = new URL(url);
  const socket = connect(Number(port), '127.0.0.1');
  let bytes = 0;
  let first: (at: number) => void;
  const firstByte = new Promise<number>((r) => (first = r));
  const done = new Promise<{ bytes: number; at: number }>((resolve) => {
    socket.on('data', (b) => {
      if (bytes === 0) first(performance.now());
      bytes += b.length;
    });
    socket.on('close', () => resolve({ bytes, at: performance.now() }));
    socket.on('error', () => undefined);
  });
  socket.write(`GET ${path} HTTP/1.1\r\nhost: x\r\nx-user-id: u1\r\nconnection: close\r\n\r\n`);
  return { socket, firstByte, done, bytes: () => bytes };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('response faults', () => {
  let fast: TestUpstream, big: TestUpstream, huge: TestUpstream, fl: TestFieldlab;
  const bigState = { written: 0, closed: false };
  const hugeState = { written: 0, closed: false };
  const { logger, lines } = recordingLogger();
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({ sample: 1, serviceName: 'fieldlab' }, {}, { exporter, processor: 'simple' });
  beforeAll(async () => {
    fast = await startUpstream('fast');
    big = await startUpstream('big', (_req, res) => bigBody(128 * KiB, bigState)(res));
    huge = await startUpstream('huge', (_req, res) => bigBody(64 * 1024 * KiB, hugeState)(res));
    fl = await startFieldlab(
      `
upstreams: { fast: ${fast.url}, big: ${big.url}, huge: ${huge.url} }
routes:
  - name: late
    match: { path: /late/* }
    arms: { control: fast }
    sticky: [header:x-user-id]
    fault: { response: { firstByte: { percent: 100, fixed: 400ms } } }
  - name: held
    match: { path: /held/* }
    arms: { control: fast }
    sticky: [header:x-user-id]
    fault: { response: { firstByte: { percent: 100, fixed: 30s } } }
  - name: slow
    match: { path: /slow/* }
    arms: { control: big }
    sticky: [header:x-user-id]
    fault: { response: { throttle: { percent: 100, rate: 32KiB/s } } }
  - name: trickle
    match: { path: /trickle/* }
    arms: { control: huge }
    sticky: [header:x-user-id]
    fault: { response: { throttle: { percent: 100, rate: 16KiB/s } } }
`,
      { logger, observers: [tracing.observer] },
    );
  });
  afterEach(async () => {
    await (await request(`${fl.adminUrl}/faults/on`, { method: 'POST' })).body.text();
  });
  afterAll(async () => {
    await fl.close();
    await tracing.shutdown();
    await Promise.all([fast.close(), big.close(), huge.close()]);
  });
  const metrics = async () => (await (await request(`${fl.adminUrl}/metrics`)).body.text()) as string;
  const active = async () =>
    (
      (await (await request(`${fl.adminUrl}/faults`)).body.json()) as {
        active: Record<string, number>;
      }
    ).active;

  it('a first-byte delay: the first byte comes no sooner than the delay after the request; counted, logged, spanned', async () => {
    const sent = performance.now();
    const c = rawGet(fl.url, '/late/x');
    const first = await c.firstByte;
    const end = await c.done;
    expect(first - sent).toBeGreaterThanOrEqual(400);
    expect(end.bytes).toBeGreaterThan(0);
    expect(await metrics()).toContain('fieldlab_fault_injected_total{route="late",kind="first-byte"} 1');
    const line = lines.find((l) => l.route === 'late');
    expect(line).toMatchObject({ fault: 'first-byte', status: 200 });
    expect(exporter.getFinishedSpans().map((sp) => sp.attributes['fieldlab.fault'])).toContain('first-byte');
  });

  it('a throttle sends the body no faster than its rate, the whole body intact', async () => {
    bigState.written = 0;
    const started = performance.now();
    const res = await request(`${fl.url}/slow/x`, {
      headers: { 'x-user-id': 'u1' },
    });
    const body = Buffer.from(await res.body.arrayBuffer());
    const took = performance.now() - started;
    expect(body.length).toBe(128 * KiB);
    expect(body.every((b) => b === 0x61)).toBe(true);
    // 128 KiB at 32 KiB/s, less the bucket's start (one 50 ms tick's worth): at least ~3.9 s.
    expect(took).toBeGreaterThanOrEqual(((128 * KiB - 1640) / (32 * KiB)) * 1000);
    expect(await metrics()).toContain('fieldlab_fault_injected_total{route="slow",kind="throttle"} 1');
    expect(lines.find((l) => l.route === 'slow')).toMatchObject({
      fault: 'throttle',
      bytes: 128 * KiB,
    });
    expect(await active()).toEqual({});
  }, 15_000);

  it('backpressure: a throttled upstream is paused, not read ahead; a client that leaves ends the upstream', async () => {
    hugeState.written = 0;
    hugeState.closed = false;
    const c = rawGet(fl.url, '/trickle/x');
    await c.firstByte;
    await sleep(1000);
    // The upstream could write 64 MiB in well under a second if the proxy read it all; it is held to
    // what the kernel's loopback buffers and one parsed chunk take.
    expect(hugeState.written).toBeLessThan(16 * 1024 * KiB);
    expect(c.bytes()).toBeLessThan(64 * KiB);
    expect(await active()).toEqual({ trickle: 1 });
    c.socket.destroy();
    for (let i = 0; i < 50 && !hugeState.closed; i++) await sleep(50);
    expect(hugeState.closed).toBe(true);
    for (let i = 0; i < 20 && Object.keys(await active()).length > 0; i++) await sleep(50);
    expect(await active()).toEqual({});
  }, 15_000);

  // The fault is admitted before the request body is read; a client that left during that read
  // meant no dispatch, so the fault handler heard nothing and the route's count stayed up for good
  // (enough such requests and maxActive refused every later fault).
  it('a client that leaves before its request is dispatched does not keep the fault counted', async () => {
    const { port } = new URL(fl.url);
    const socket = connect(Number(port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write('POST /slow/x HTTP/1.1\r\nhost: x\r\nx-user-id: u1\r\ncontent-length: 1000\r\n\r\n0123456789');
    for (let i = 0; i < 40 && Object.keys(await active()).length === 0; i++) await sleep(25);
    expect(await active()).toEqual({ slow: 1 });
    socket.destroy();
    for (let i = 0; i < 40 && Object.keys(await active()).length > 0; i++) await sleep(50);
    expect(await active()).toEqual({});
  });

  // A held or throttled response ends with the upstream's controller still held by the fault; the
  // pooled upstream connection (and the client's keep-alive one) must still serve the next request.
  it('keep-alive connections are reused after a held response', async () => {
    for (let i = 0; i < 3; i++) {
      const res = await request(`${fl.url}/late/x`, { headers: { 'x-user-id': 'u1' } });
      expect(res.statusCode).toBe(200);
      expect((await res.body.text()).length).toBeGreaterThan(0);
    }
    expect(await active()).toEqual({});
  });

  it('a client that leaves during a first-byte hold ends the fault', async () => {
    const c = rawGet(fl.url, '/held/x');
    for (let i = 0; i < 40 && Object.keys(await active()).length === 0; i++) await sleep(25);
    expect(await active()).toEqual({ held: 1 });
    c.socket.destroy();
    for (let i = 0; i < 40 && Object.keys(await active()).length > 0; i++) await sleep(50);
    expect(await active()).toEqual({});
  });

  it('the kill switch releases a held head and a throttled body at once', async () => {
    bigState.written = 0;
    const held = rawGet(fl.url, '/held/x');
    const slow = rawGet(fl.url, '/slow/x');
    await slow.firstByte;
    await sleep(200);
    expect(held.bytes()).toBe(0);
    expect(await active()).toEqual({ held: 1, slow: 1 });
    const off = await request(`${fl.adminUrl}/faults/off`, { method: 'POST' });
    const offAt = performance.now();
    await off.body.text();
    const [h, s] = await Promise.all([held.done, slow.done]);
    expect(h.bytes).toBeGreaterThan(0);
    expect(s.bytes).toBeGreaterThan(128 * KiB);
    // 30 s of head and ~4 s of body, both released: they end within a second of the switch.
    expect(Math.max(h.at, s.at) - offAt).toBeLessThan(1000);
    expect(await active()).toEqual({});
  }, 15_000);
});
