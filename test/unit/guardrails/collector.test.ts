// The collector's caps with deterministic request sequences: one observation per unit per second,
// keyCap per unit per minute, clientCap and the per-client rate limits, the largest contributor, and
// upstream time in the histogram; merge adds replicas.
import { describe, expect, it } from 'vitest';
import { emptyArmSecond, isArmSecond, mergeArmSecond } from '../../../src/guardrails/arm-second.js';
import { CLIENT_RATE, CLIENT_UNITS, createCollector } from '../../../src/guardrails/collector.js';
import { T0 } from './sim.js';

const req = (over: Partial<Parameters<ReturnType<typeof createCollector>['record']>[0]> = {}) => ({
  arm: 'v',
  key: 'u1',
  client: '198.51.100.1',
  bad: false,
  slow: false,
  upstreamMs: 10,
  at: T0,
  ...over,
});

describe('createCollector', () => {
  it('a unit gives one bad observation per second, however many bad requests', () => {
    const c = createCollector({ keyCap: 2, clientCap: 5 });
    for (let i = 0; i < 20; i++) c.record(req({ bad: true, at: T0 + i * 10 }));
    const [s] = c.drain(T0 / 1000 + 1);
    expect(s!.arms.v).toMatchObject({ requests: 20, bad: 20, exposure: 20, exposureBad: 20, units: 1, badObs: 1, topBad: 1 });
  });

  it('after keyCap observations in a minute the unit sits out the rest of the minute, exposure too', () => {
    const c = createCollector({ keyCap: 2, clientCap: 0 });
    for (let t = 0; t < 60; t++) c.record(req({ bad: true, at: T0 + t * 1000 }));
    c.record(req({ bad: true, at: T0 + 60_000 }));
    const secs = c.drain(T0 / 1000 + 61);
    const sum = secs.map((s) => s.arms.v!).reduce(mergeArmSecond);
    expect(sum).toMatchObject({ requests: 61, bad: 61, exposure: 3, badObs: 3 });
  });

  it('one client address with many keys: clientCap observations a minute, then it sits out', () => {
    const c = createCollector({ keyCap: 2, clientCap: 5 });
    for (let i = 0; i < 30; i++) c.record(req({ key: `k${i}`, bad: true, at: T0 + i * 100 }));
    const sum = c
      .drain(T0 / 1000 + 10)
      .map((s) => s.arms.v!)
      .reduce(mergeArmSecond);
    expect(sum.badObs).toBe(5);
    expect(sum.topBad).toBe(5); // the client is the largest contributor
  });

  it(`one client adds at most ${CLIENT_UNITS} units and ${CLIENT_RATE} requests a second to the evidence (no dilution)`, () => {
    const c = createCollector({ keyCap: 2, clientCap: 5 });
    for (let i = 0; i < 500; i++) c.record(req({ key: `k${i % 100}`, at: T0 + i }));
    const [s] = c.drain(T0 / 1000 + 1);
    expect(s!.arms.v!.requests).toBe(500);
    expect(s!.arms.v!.units).toBeLessThanOrEqual(CLIENT_UNITS);
    expect(s!.arms.v!.exposure).toBeLessThanOrEqual(CLIENT_RATE);
  });

  it('clientCap 0 turns per-client limits off (everyone behind one address)', () => {
    const c = createCollector({ keyCap: 2, clientCap: 0 });
    for (let i = 0; i < 30; i++) c.record(req({ key: `k${i}`, bad: true, at: T0 + i * 10 }));
    expect(c.drain(T0 / 1000 + 1)[0]!.arms.v).toMatchObject({ badObs: 30, units: 30, topBad: 1 });
  });

  it('latency is the upstream time given, in the histogram', () => {
    const c = createCollector({ keyCap: 2, clientCap: 5 });
    c.record(req({ upstreamMs: 480, slow: false }));
    const h = c.drain(T0 / 1000 + 1)[0]!.arms.v!.latency;
    expect(h.reduce((a, b) => a + b, 0)).toBe(1);
  });

  it('drains only completed seconds, oldest first; late requests land in the next open second', () => {
    const c = createCollector({ keyCap: 2, clientCap: 5 });
    c.record(req({ at: T0 + 1500 }));
    c.record(req({ at: T0 + 200 }));
    expect(c.drain(T0 / 1000 + 1).map((s) => s.sec)).toEqual([T0 / 1000]);
    c.record(req({ at: T0 + 100 }));
    expect(c.drain(T0 / 1000 + 2).map((s) => [s.sec, s.arms.v!.requests])).toEqual([[T0 / 1000 + 1, 2]]);
  });
});

describe('ArmSecond', () => {
  it('merge adds every count and bin; isArmSecond validates input from other processes', () => {
    const a = emptyArmSecond();
    a.requests = 3;
    a.latency[5] = 2;
    const b = emptyArmSecond();
    b.requests = 4;
    b.badObs = 1;
    b.latency[5] = 1;
    const m = mergeArmSecond(a, b);
    expect(m).toMatchObject({ requests: 7, badObs: 1 });
    expect(m.latency[5]).toBe(3);
    expect(a.requests).toBe(3);
    expect(isArmSecond(JSON.parse(JSON.stringify(m)))).toBe(true);
    expect(isArmSecond({ ...m, requests: -1 })).toBe(false);
  });
});
