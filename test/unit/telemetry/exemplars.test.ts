// The trace-exemplar keeper on a fake clock: bad exchanges in a ring of ERRORS_KEPT (newest first),
// the slowest SLOWEST_KEPT of the last minute, trace ids from the exchange (tracing) or the client's
// traceparent, nothing of the request but its route's pattern, the series cap, and the hand-over a
// group's primary merges.
import { describe, expect, it } from 'vitest';
import type { CompiledRoute } from '../../../src/routing/route.js';
import { beginExchange, createObserverGuard, type ExchangeInfo } from '../../../src/telemetry/hooks.js';
import { exchangeInfo } from '../../helpers/exchange-info.js';
import { createExemplarKeeper, ERRORS_KEPT, type Exemplar, MAX_EXEMPLAR_SERIES, SLOWEST_KEPT } from '../../../src/telemetry/exemplars.js';

const route = (name: string) =>
  ({ name, guardrails: undefined, matcher: { path: { pattern: '/api/carts/:id' } } }) as unknown as CompiledRoute;
const checkout = route('checkout');
const tid = (n: number) => n.toString(16).padStart(32, 'a');

const info = (r: CompiledRoute, arm: string, headers: ExchangeInfo['headers'] = {}) =>
  exchangeInfo(r, arm, { target: '/api/carts/42?token=secret', headers: { authorization: 'Bearer secret', ...headers } });
const outcome = (status: number) => ({ status, code: status === 504 ? 'FL_UPSTREAM_TIMEOUT' : undefined, bytes: 0, upstreamMs: 1 });

function setup(startMs = 1_800_000_000_000) {
  let ms = startMs;
  const keeper = createExemplarKeeper({ now: () => ms });
  const end = (arm: string, status: number, latency: number, traceId?: string, r = checkout, headers?: ExchangeInfo['headers']) =>
    keeper.observer.begin({ ...info(r, arm, headers), startedAtEpoch: ms - latency })!.end(outcome(status), latency, traceId);
  return { keeper, end, tick: (d: number) => (ms += d), now: () => ms };
}

describe('trace exemplars', () => {
  it('keeps the last ERRORS_KEPT bad exchanges of each arm, newest first, with their trace ids', () => {
    const { keeper, end, tick } = setup();
    for (let i = 0; i < ERRORS_KEPT + 3; i++) {
      tick(1000);
      end('variant', 503, 10, tid(i));
      end('variant', 200, 1, tid(100 + i));
    }
    end('control', 504, 30, tid(999));
    const [variant, control] = keeper.read('checkout');
    expect(variant!.arm).toBe('variant');
    expect(variant!.errors.map((e) => e.traceId)).toEqual([7, 6, 5, 4, 3].map(tid));
    expect(control!.errors).toMatchObject([{ status: 504, code: 'FL_UPSTREAM_TIMEOUT', ms: 30, traceId: tid(999) }]);
  });

  it('keeps only the id and the route pattern of a request: no raw path, query or header', () => {
    const { keeper, end } = setup();
    end('control', 500, 12.345, tid(1));
    const e = keeper.read('checkout')[0]!.errors[0]!;
    expect(e).toEqual({
      route: 'checkout',
      arm: 'control',
      at: expect.any(Number),
      status: 500,
      code: null,
      ms: 12.3,
      method: 'GET',
      path: '/api/carts/:id',
      traceId: tid(1),
      bad: true,
    });
    expect(JSON.stringify(keeper.read('checkout'))).not.toMatch(/secret|42/);
  });

  it('takes the client traceparent’s id without tracing, and none from a malformed one', () => {
    const { keeper, end } = setup();
    end('control', 500, 1, undefined, checkout, { traceparent: `00-${tid(5)}-00f067aa0ba902b7-01` });
    end('control', 500, 1, undefined, checkout, { traceparent: 'garbage' });
    expect(keeper.read('checkout')[0]!.errors.map((e) => e.traceId)).toEqual([null, tid(5)]);
  });

  it('keeps the slowest SLOWEST_KEPT of the last minute, slowest first, and forgets older minutes', () => {
    const { keeper, end, tick } = setup(1_800_000_030_000); // 30 s into a minute
    const latencies = [5, 90, 3, 70, 40, 1, 80, 60, 2, 50];
    latencies.forEach((ms, i) => end('control', 200, ms, tid(i)));
    expect(keeper.read('checkout')[0]!.slowest.map((e) => e.ms)).toEqual([90, 80, 70, 60, 50]);
    expect(keeper.read('checkout')[0]!.errors).toEqual([]);
    // Next minute: the previous minute's still show while within 60 s; a new slow one joins.
    tick(40_000);
    end('control', 200, 65, tid(50));
    expect(keeper.read('checkout')[0]!.slowest.map((e) => e.ms)).toEqual([90, 80, 70, 65, 60]);
    tick(21_000);
    expect(keeper.read('checkout')[0]!.slowest.map((e) => e.ms)).toEqual([65]);
    tick(5 * 60_000);
    expect(keeper.read('checkout')[0]!.slowest).toEqual([]);
    expect(SLOWEST_KEPT).toBe(5);
  });

  it('passes the exchange’s trace id from the tracing tracker to the keeper through beginExchange', () => {
    const keeper = createExemplarKeeper();
    const tracing = { begin: () => ({ traceId: tid(77), traceparent: `00-${tid(77)}-00f067aa0ba902b7-01`, end: () => undefined }) };
    const guard = createObserverGuard(() => undefined);
    beginExchange([tracing, keeper.observer], info(checkout, 'control'), guard)!.end(outcome(502), 4);
    expect(keeper.read('checkout')[0]!.errors[0]!.traceId).toBe(tid(77));
    expect(guard.stats()).toEqual({});
  });

  it('caps route × arm series and counts what it could not keep', () => {
    const { keeper, end } = setup();
    for (let i = 0; i < MAX_EXEMPLAR_SERIES + 4; i++) end('control', 500, 1, tid(i), route(`r${i}`));
    expect(keeper.stats()).toEqual({ series: MAX_EXEMPLAR_SERIES, dropped: 4 });
    expect(keeper.read(`r${MAX_EXEMPLAR_SERIES}`)).toEqual([]);
  });

  it('hands over what it keeps, and a primary merges its workers’ exemplars per arm', () => {
    const a = setup();
    const b = setup();
    const primary = createExemplarKeeper({ now: a.now });
    const sent: Exemplar[] = [];
    a.keeper.exportTo((e) => sent.push(e));
    b.keeper.exportTo((e) => sent.push(e));
    a.end('variant', 500, 1, tid(1));
    b.tick(10);
    b.end('variant', 500, 2, tid(2));
    // A fast good one after the minute's first five is not even offered: it beats nothing kept.
    for (let i = 0; i < SLOWEST_KEPT; i++) a.end('variant', 200, 50, tid(10 + i));
    const before = sent.length;
    a.end('variant', 200, 1, tid(99));
    expect(sent.length).toBe(before);
    for (const e of sent) primary.offer(e);
    const [v] = primary.read('checkout', a.now() + 20);
    expect(v!.errors.map((e) => e.traceId)).toEqual([tid(2), tid(1)]);
    expect(v!.slowest.map((e) => e.ms)).toEqual([50, 50, 50, 50, 50]);
  });
});
