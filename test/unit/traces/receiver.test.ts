// The receiver's cap on bodies being read at once: stalled uploads can't each pin `maxBody`.
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { DecodePool } from '../../../src/traces/decode-pool.js';
import { decodeJson, decodeProtobuf } from '../../../src/traces/otlp-decode.js';
import { createTraceReceiver } from '../../../src/traces/receiver.js';

// In-process decoding: this test is about reading bodies, not the worker thread.
const decoder: DecodePool = {
  decode: async (encoding, body) => (encoding === 'json' ? decodeJson(body) : decodeProtobuf(body)),
  inFlight: 0,
  close: async () => undefined,
};

const sockets: Socket[] = [];
afterEach(() => {
  for (const s of sockets.splice(0)) s.destroy();
});

describe('createTraceReceiver', () => {
  it('answers 503 FL_OTLP_BUSY beyond maxReading bodies in progress, and frees slots when they end', async () => {
    const r = createTraceReceiver({ maxBody: 1 << 20, spans: () => undefined, decoder, maxReading: 2 });
    r.server.listen(0, '127.0.0.1');
    await once(r.server, 'listening');
    const { port } = r.server.address() as AddressInfo;
    const url = `http://127.0.0.1:${port}/v1/traces`;
    let seen = 0;
    r.server.on('request', () => seen++);
    // Two uploads declare 1,000 bytes, send 10 and stall.
    for (let i = 0; i < 2; i++) {
      const s = connect(port, '127.0.0.1');
      sockets.push(s);
      s.write(`POST /v1/traces HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{"resource`);
    }
    while (seen < 2) await new Promise((res) => setImmediate(res));
    const busy = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' });
    expect(busy.status).toBe(503);
    expect(await busy.text()).toContain('FL_OTLP_BUSY');
    expect(r.stats().refused).toEqual({ FL_OTLP_BUSY: 1 });
    // The stalled uploads go away: their slots come back.
    const closed = sockets.map((s) => once(s, 'close'));
    for (const s of sockets) s.destroy();
    await Promise.all(closed);
    let ok: Response | undefined;
    while (ok?.status !== 200) {
      ok = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"resourceSpans":[]}' });
      if (ok.status !== 200 && ok.status !== 503) break;
    }
    expect(ok.status).toBe(200);
    r.server.closeAllConnections();
    await new Promise((res) => r.server.close(res));
  });
});
