// The worker's trace relay: traced pairs leave slimmed (no bodies), untraced ones are only counted,
// the outbox and the channel are bounded (drop and count, the count rides with the next message),
// and the primary's parse refuses a relayed item with a field it could not trust.
import { describe, expect, it } from 'vitest';
import { createChannel } from '../../../src/cluster/channel.js';
import { parseWorkerMessage, type WorkerMessage } from '../../../src/cluster/protocol.js';
import { createTraceRelay } from '../../../src/cluster/trace-relay.js';
import type { ComparePair } from '../../../src/compare/types.js';
import type { CompiledShadow } from '../../../src/mirror/shadow-spec.js';

const shadow = {} as CompiledShadow;

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const side = (status: number, latencyMs: number) =>
  ({
    status,
    headers: {},
    body: Buffer.from('big body'),
    latencyMs,
  }) as unknown as ComparePair['primary'];
const pair = (i: number, traced = true): ComparePair => ({
  route: 'checkout',
  shadow: 'dark',
  method: 'GET',
  path: `/api/checkout/${i}`,
  routeTemplate: undefined,
  requestId: `req-${i}`,
  traceId: traced ? TRACE : undefined,
  ...(traced ? { spans: { primary: '00f067aa0ba902b7', candidate: '00f067aa0ba902b8' } } : {}),
  at: 1_700_000_000_000 + i,
  primary: side(200, 3),
  candidate: side(200, 40),
});

/** A channel that keeps what it was given; `refuse` makes every send fail as a full channel would. */
function sink(max = 8) {
  const sent: WorkerMessage[] = [];
  const channel = createChannel<WorkerMessage>(
    (m, done) => {
      sent.push(m);
      done(null);
      return true;
    },
    { max },
  );
  return { channel, sent };
}

describe('createTraceRelay', () => {
  it('sends traced pairs without their bodies and counts untraced ones', () => {
    const { channel, sent } = sink();
    const relay = createTraceRelay(channel);
    relay.tap.pair(pair(1), shadow, 'shadow');
    relay.tap.pair(pair(2, false), shadow, 'noise');
    relay.note('shop', 'variant', TRACE, '00f067aa0ba902b9');
    relay.stop();
    expect(sent).toHaveLength(1);
    const m = parseWorkerMessage(sent[0]);
    expect(m).toMatchObject({
      t: 'traced',
      untraced: 1,
      dropped: 0,
      notes: [{ route: 'shop', arm: 'variant' }],
    });
    const [p] = (m as Extract<WorkerMessage, { t: 'traced' }>).pairs;
    expect(p!.kind).toBe('shadow');
    expect(p!.pair.primary).toEqual({ status: 200, latencyMs: 3 });
    expect(p!.pair.candidate).toEqual({ status: 200, latencyMs: 40 });
    expect(JSON.stringify(p)).not.toContain('big body');
  });

  it('drops and counts past the outbox bound, and reports the count with the next message', () => {
    const { channel, sent } = sink();
    const relay = createTraceRelay(channel);
    for (let i = 0; i < 2048 + 5; i++) relay.tap.pair(pair(i), shadow, 'shadow');
    relay.flush();
    expect(sent[0]).toMatchObject({ t: 'traced', dropped: 5 });
    expect((sent[0] as Extract<WorkerMessage, { t: 'traced' }>).pairs).toHaveLength(2048);
    expect(parseWorkerMessage(sent[0])).toBeDefined();
    relay.stop();
  });

  it('counts the items of a message the channel refused', () => {
    let calls = 0;
    const sent: WorkerMessage[] = [];
    const channel = createChannel<WorkerMessage>(
      (m) => {
        calls++;
        if (calls === 1) throw new Error('ERR_IPC_CHANNEL_CLOSED');
        sent.push(m);
        return true;
      },
      { max: 8 },
    );
    const relay = createTraceRelay(channel);
    relay.tap.pair(pair(1), shadow, 'shadow');
    relay.note('shop', 'control', TRACE, '00f067aa0ba902b9');
    relay.flush();
    relay.stop();
    expect(sent).toEqual([{ t: 'traced', pairs: [], notes: [], untraced: 0, dropped: 2 }]);
  });
});

describe('parseWorkerMessage traced', () => {
  const ok = {
    kind: 'shadow',
    pair: {
      ...pair(1),
      primary: { status: 200, latencyMs: 3 },
      candidate: { status: 200, latencyMs: 4 },
    },
  };
  it('refuses items the primary could not trust', () => {
    const msg = (pairs: unknown[], notes: unknown[] = []) => ({
      t: 'traced',
      pairs,
      notes,
      untraced: 0,
      dropped: 0,
    });
    expect(parseWorkerMessage(msg([ok]))).toBeDefined();
    for (const m of [
      msg([{ ...ok, kind: 'other' }]),
      msg([{ ...ok, pair: { ...ok.pair, traceId: 'XYZ' } }]),
      msg([{ ...ok, pair: { ...ok.pair, spans: { primary: '00f067aa0ba902b7' } } }]),
      msg([
        {
          ...ok,
          pair: { ...ok.pair, candidate: { status: 200, latencyMs: -1 } },
        },
      ]),
      msg([{ ...ok, pair: { ...ok.pair, route: 7 } }]),
      msg([], [{ route: 'shop', arm: 'a', traceId: TRACE, spanId: 'short' }]),
      msg(Array.from({ length: 2049 }, () => ok)),
      { ...msg([]), untraced: -1 },
    ])
      expect(parseWorkerMessage(m)).toBeUndefined();
  });
});
