// The dashboard's per-second series on a fake clock: counts and quantiles per closed second, idle
// seconds as gaps, the hour-long ring wrapping, shadows as their own series, and the series cap.
import { describe, expect, it } from 'vitest';
import type { CompiledRoute } from '../../../src/routing/route.js';
import { exchangeInfo } from '../../helpers/exchange-info.js';
import { createLiveSeries, LIVE_SECONDS, type LiveSecond, MAX_LIVE_SERIES } from '../../../src/telemetry/live-series.js';

const routeNamed = (name: string) => ({ name, guardrails: undefined }) as unknown as CompiledRoute;
const checkout = routeNamed('checkout');

const info = (route: CompiledRoute, arm: string) => exchangeInfo(route, arm);
const outcome = (status: number) => ({ status, code: undefined, bytes: 0, upstreamMs: 1 });

function clock(startSec: number) {
  let ms = startSec * 1000;
  return { now: () => ms, set: (sec: number) => (ms = sec * 1000 + 250) };
}

describe('live series', () => {
  const T = 1_800_000_000;

  it('keeps requests outside the experiment’s audience out of control: their own series, outside:control', () => {
    const c = clock(T);
    const live = createLiveSeries({ now: c.now });
    c.set(T);
    for (let i = 0; i < 4; i++) live.observer.begin(info(checkout, 'control'))!.end(outcome(200), 5);
    live.observer.begin({ ...info(checkout, 'control'), excluded: 'targeting' })!.end(outcome(503), 5);
    live.observer.begin({ ...info(checkout, 'control'), excluded: 'layer' })!.end(outcome(200), 5);
    c.set(T + 1);
    const s = live.read('checkout', T);
    expect(s.arms.control!.requests).toEqual([4]);
    expect(s.arms.control!.errors).toEqual([0]);
    expect(s.arms['outside:control']!.requests).toEqual([2]);
    expect(s.arms['outside:control']!.errors).toEqual([1]);
  });

  it('counts requests and errors per closed second, with p50/p99 from that second alone', () => {
    const c = clock(T);
    const live = createLiveSeries({ now: c.now });
    c.set(T);
    for (let i = 1; i <= 100; i++) live.observer.begin(info(checkout, 'v2'))!.end(outcome(i <= 3 ? 503 : 200), i);
    c.set(T + 2);
    live.observer.begin(info(checkout, 'v2'))!.end(outcome(200), 1000);
    live.observer.begin(info(checkout, 'v2'))!.end(outcome(499), 5); // the client left: not counted
    c.set(T + 3);
    const s = live.read('checkout', T);
    expect(s.from).toBe(T);
    expect(s.to).toBe(T + 3);
    const v2 = s.arms.v2!;
    expect(v2.requests).toEqual([100, 0, 1]);
    expect(v2.errors).toEqual([3, 0, 0]);
    // Histogram buckets are ~10 % wide: the quantile is its bucket's upper bound.
    expect(v2.p50Ms[0]).toBeGreaterThanOrEqual(50);
    expect(v2.p50Ms[0]).toBeLessThan(56);
    expect(v2.p99Ms[0]).toBeGreaterThanOrEqual(99);
    expect(v2.p99Ms[0]).toBeLessThan(110);
    expect(v2.p50Ms[1]).toBeNull();
    expect(v2.p99Ms[2]).toBeGreaterThanOrEqual(1000);
    // Without since: from the first second the route saw (earlier is no data, not zero traffic).
    expect(live.read('checkout').from).toBe(T);
    // The open second is never returned: its numbers are still moving.
    expect(live.read('checkout', T + 3).arms.v2!.requests).toEqual([]);
  });

  it('keeps one hour: older seconds are overwritten as the ring wraps, and reads are clamped to it', () => {
    const c = clock(T);
    const live = createLiveSeries({ now: c.now });
    c.set(T);
    live.observer.begin(info(checkout, 'control'))!.end(outcome(200), 3);
    c.set(T + LIVE_SECONDS + 10);
    live.observer.begin(info(checkout, 'control'))!.end(outcome(200), 3);
    c.set(T + LIVE_SECONDS + 11);
    const s = live.read('checkout', 0);
    expect(s.from).toBe(T + 12);
    expect(s.arms.control!.requests.length).toBe(LIVE_SECONDS - 1);
    expect(s.arms.control!.requests.reduce((a, b) => a + b, 0)).toBe(1);
    expect(s.arms.control!.requests.at(-1)).toBe(1);
  });

  it('records shadows as shadow:NAME and ignores noise copies', () => {
    const c = clock(T);
    const live = createLiveSeries({ now: c.now });
    c.set(T);
    const t = live.observer.begin(info(checkout, 'control'))!;
    t.shadow!('next', 'shadow')!.end({ status: 500, headers: {}, body: Buffer.alloc(0), truncated: false, bodyBytes: 0, latencyMs: 7 });
    expect(t.shadow!('next', 'noise')).toBeUndefined();
    t.end(outcome(200), 2);
    c.set(T + 1);
    const s = live.read('checkout', T);
    expect(Object.keys(s.arms).sort()).toEqual(['control', 'shadow:next']);
    expect(s.arms['shadow:next']!.errors).toEqual([1]);
  });

  it('caps the number of series, evicting those idle for an hour first', () => {
    const c = clock(T);
    const live = createLiveSeries({ now: c.now });
    c.set(T);
    for (let i = 0; i < MAX_LIVE_SERIES; i++) live.observer.begin(info(routeNamed(`r${i}`), 'control'))!.end(outcome(200), 1);
    live.observer.begin(info(routeNamed('late'), 'control'))!.end(outcome(200), 1);
    expect(live.stats()).toEqual({ series: MAX_LIVE_SERIES, dropped: 1 });
    c.set(T + LIVE_SECONDS + 1);
    live.observer.begin(info(routeNamed('late'), 'control'))!.end(outcome(200), 1);
    expect(live.stats()).toEqual({ series: 1, dropped: 1 });
    c.set(T + LIVE_SECONDS + 2);
    expect(live.read('late').arms.control!.requests.at(-1)).toBe(1);
  });

  it('across processes: workers export closed seconds, and the primary’s merge equals one process seeing it all', () => {
    const c = clock(T);
    const one = createLiveSeries({ now: c.now });
    const workers = [createLiveSeries({ now: c.now }), createLiveSeries({ now: c.now })];
    const primary = createLiveSeries({ now: c.now });
    const sent: LiveSecond[] = [];
    for (const w of workers) w.exportTo((x) => sent.push(x));
    c.set(T);
    for (let i = 1; i <= 60; i++) {
      const status = i % 10 === 0 ? 500 : 200;
      // Worker 0 gets the fast requests, worker 1 the slow ones: only a merged histogram has the right p50.
      const w = workers[i <= 30 ? 0 : 1]!;
      for (const live of [one, w]) live.observer.begin(info(checkout, 'v2'))!.end(outcome(status), i * 3);
    }
    c.set(T + 1);
    workers[0]!.observer.begin(info(checkout, 'v2'))!.end(outcome(200), 7);
    one.observer.begin(info(checkout, 'v2'))!.end(outcome(200), 7);
    expect(sent).toHaveLength(1); // worker 0 closed T on its next request; worker 1 has been idle since
    c.set(T + 2);
    for (const w of workers) w.closeBefore(T + 2);
    expect(sent.map((x) => x.sec).sort()).toEqual([T, T, T + 1]);
    for (const x of sent) primary.absorb(x);
    c.set(T + 3);
    const merged = primary.read('checkout', T).arms.v2!;
    const direct = one.read('checkout', T).arms.v2!;
    expect(merged.requests).toEqual([60, 1, 0]);
    expect(merged).toEqual(direct);
    // A second older than the hour is ignored.
    primary.absorb({ ...sent[2]!, sec: T - LIVE_SECONDS - 5 });
    expect(primary.read('checkout', T).arms.v2!.requests).toEqual([60, 1, 0]);
  });
});
