// The dashboard's event stream over a real loopback server: what a browser receives (hello, the
// overview, decisions, the route's closed seconds, then only what is new), the cap on streams, and a
// client that stops reading being cut instead of buffered without bound.
import { createServer, type Server } from 'node:http';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { createEventHub, type EventHub } from '../../src/admin/dashboard-events.js';
import type { DashboardModel } from '../../src/admin/dashboard-model.js';
import type { CompiledRoute } from '../../src/routing/route.js';
import type { DecisionRecord } from '../../src/storage/guardrail-types.js';
import type { ExchangeInfo } from '../../src/telemetry/hooks.js';
import { createLiveSeries } from '../../src/telemetry/live-series.js';

const route = { name: 'checkout', guardrails: undefined } as unknown as CompiledRoute;
const exchange = (arm: string) =>
  ({ route, arm, armIndex: 0, startedAt: 0, startedAtEpoch: Date.now(), headers: {} }) as unknown as ExchangeInfo;

const decision = (at: number, action: string, reason = 'r'): DecisionRecord => ({
  at,
  route: 'checkout',
  arm: 'v2',
  action,
  fromPercent: 10,
  toPercent: 0,
  rule: 'manual',
  reason,
  evidence: null,
  actor: 'alice',
});

interface Sse {
  events: { event: string; data: unknown }[];
  status: number;
  close(): void;
}

/** A tiny SSE reader on fetch: collects every event. */
async function subscribe(url: string): Promise<Sse> {
  const ctrl = new AbortController();
  const res = await fetch(url, { signal: ctrl.signal });
  const out: Sse = { events: [], status: res.status, close: () => ctrl.abort() };
  if (!res.ok || !res.body) return out;
  const reader = res.body.getReader();
  const dec = new TextDecoder();
  let buf = '';
  void (async () => {
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return;
        buf += dec.decode(value, { stream: true });
        let end: number;
        while ((end = buf.indexOf('\n\n')) !== -1) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const event = /^event: (.*)$/m.exec(block)?.[1];
          const data = /^data: (.*)$/m.exec(block)?.[1];
          if (event && data) out.events.push({ event, data: JSON.parse(data) });
        }
      }
    } catch {
      // aborted
    }
  })();
  return out;
}

async function until(check: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('dashboard event stream', () => {
  let server: Server | undefined;
  let hub: EventHub | undefined;
  const streams: Sse[] = [];

  afterEach(async () => {
    for (const s of streams.splice(0)) s.close();
    hub?.close();
    server?.closeAllConnections();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  async function start(opts: {
    model?: () => DashboardModel;
    decisions?: () => DecisionRecord[] | Promise<DecisionRecord[]>;
    maxClients?: number;
    maxBufferBytes?: number;
  }) {
    const live = createLiveSeries();
    const model = opts.model ?? (() => ({ version: 1, routes: [], alarms: [] }));
    hub = createEventHub({
      live,
      model: () => model(),
      decisions: async () => opts.decisions?.() ?? [],
      ...(opts.maxClients ? { maxClients: opts.maxClients } : {}),
      ...(opts.maxBufferBytes ? { maxBufferBytes: opts.maxBufferBytes } : {}),
    });
    const h = hub;
    server = createServer((req, res) => void h.handle(req, res));
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
    return { live, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dashboard/events` };
  }

  it('sends hello, the overview, the decisions and the closed seconds, then only what is new', async () => {
    const rows = [decision(1_000, 'step')];
    let version = 1;
    const { live, url } = await start({ decisions: () => rows, model: () => ({ version, routes: [], alarms: [] }) });
    live.observer.begin(exchange('v2'))!.end({ status: 500, code: undefined, bytes: 0, upstreamMs: 1 }, 3);
    const s = await subscribe(`${url}?route=checkout`);
    streams.push(s);
    expect(s.status).toBe(200);
    await until(() => s.events.some((e) => e.event === 'series'), 'the first series');
    expect(s.events.slice(0, 3).map((e) => e.event)).toEqual(['hello', 'model', 'decisions']);
    expect((s.events[2]!.data as { action: string }[]).map((d) => d.action)).toEqual(['step']);
    // A new decision and a changed overview arrive on the next tick; the unchanged overview is not resent.
    rows.unshift(decision(2_000, 'manual-rollback', '<b>why</b>'));
    version = 2;
    await until(() => s.events.filter((e) => e.event === 'decisions').length === 2, 'the new decision');
    const fresh = s.events.filter((e) => e.event === 'decisions')[1]!.data as { action: string; reason: string; actor: string }[];
    expect(fresh).toEqual([expect.objectContaining({ action: 'manual-rollback', reason: '<b>why</b>', actor: 'alice' })]);
    await until(() => s.events.filter((e) => e.event === 'series').length >= 3, 'two more ticks');
    expect(s.events.filter((e) => e.event === 'model').map((e) => (e.data as { version: number }).version)).toEqual([1, 2]);
    // Every second is sent once: the slices follow each other without overlap.
    const slices = s.events
      .filter((e) => e.event === 'series')
      .map((e) => e.data as { from: number; to: number; arms: Record<string, { errors: number[] }> });
    for (let i = 1; i < slices.length; i++) expect(slices[i]!.from).toBe(slices[i - 1]!.to);
    const errors = slices.flatMap((x) => x.arms.v2?.errors ?? []).reduce((a, b) => a + b, 0);
    expect(errors).toBe(1);
  });

  it('keeps the live series flowing while the store does not answer', async () => {
    const { live, url } = await start({ decisions: () => new Promise<never>(() => undefined) });
    live.observer.begin(exchange('v2'))!.end({ status: 200, code: undefined, bytes: 0, upstreamMs: 1 }, 3);
    const s = await subscribe(`${url}?route=checkout`);
    streams.push(s);
    await until(() => s.events.filter((e) => e.event === 'series').length >= 2, 'series despite the store');
    expect(s.events.filter((e) => e.event === 'decisions').map((e) => e.data)).toEqual([[]]);
  });

  it('refuses streams over the cap with 503 FL_DASHBOARD_BUSY', async () => {
    const { url } = await start({ maxClients: 2 });
    streams.push(await subscribe(url), await subscribe(url));
    const res = await fetch(url);
    expect(res.status).toBe(503);
    expect(res.headers.get('x-fieldlab-error')).toBe('FL_DASHBOARD_BUSY');
    await res.text();
    expect(hub!.stats()).toMatchObject({ clients: 2, refused: 1 });
  });

  it('cuts a client that stops reading once its unsent data passes the bound', async () => {
    // An overview that changes every tick and weighs 4 MiB fills any socket buffer in a few ticks.
    let n = 0;
    const big = 'x'.repeat(4 << 20);
    const { url } = await start({
      maxBufferBytes: 1 << 20,
      model: () => ({ version: n++, routes: [], alarms: [{ kind: 'shadow-drops', says: big }] }),
    });
    const { port } = new URL(url);
    const sock = connect(Number(port), '127.0.0.1');
    sock.write(`GET /dashboard/events HTTP/1.1\r\nhost: x\r\n\r\n`);
    sock.pause(); // never reads again
    const closed = new Promise<void>((r) => sock.on('close', () => r()));
    await until(() => hub!.stats().dropped === 1, 'the slow client to be cut', 20_000);
    expect(hub!.stats().clients).toBe(0);
    sock.destroy();
    await closed;
  });
});
