// The response-fault decorator against a fake undici controller (fake timers, no thresholds): a
// held head pauses the upstream and keeps the order of what came after it; a throttle hands on at
// most its budget per tick and keeps the upstream paused until what waits is gone; a slow client's
// pause is never overridden by the throttle; the kill switch and an error end the fault once.
import type { Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { admitFault, faultState, setFaultsEnabled } from '../../../src/faults/control.js';
import { responseFault } from '../../../src/faults/response-fault.js';

function fakeController() {
  const c = {
    pauses: 0,
    resumes: 0,
    paused: false,
    aborted: false,
    reason: null,
    pause() {
      c.pauses++;
      c.paused = true;
    },
    resume() {
      c.resumes++;
      c.paused = false;
    },
    abort() {
      c.aborted = true;
    },
  };
  return c;
}

function recorder() {
  const calls: string[] = [];
  let ctl: Dispatcher.DispatchController | undefined;
  const h: Dispatcher.DispatchHandler = {
    onResponseStart: (c, status) => {
      ctl = c;
      calls.push(`start ${status}`);
    },
    onResponseData: (c, chunk) => {
      ctl = c;
      calls.push(`data ${chunk.length}`);
    },
    onResponseEnd: () => void calls.push('end'),
    onResponseError: (_c, e) => void calls.push(`error ${e.message}`),
  };
  return { h, calls, controller: () => ctl! };
}

const admit = (route: string, d: Parameters<typeof responseFault>[1]) => {
  admitFault(route, d, 100);
  return responseFault(route, d);
};

describe('response faults', () => {
  beforeEach(() =>
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'Date', 'performance'],
    }),
  );
  afterEach(() => {
    vi.useRealTimers();
    setFaultsEnabled(true);
  });

  it('first byte: the head waits its delay with the upstream paused, then everything in order', () => {
    const c = fakeController();
    const r = recorder();
    const h = admit('fb', { kind: 'first-byte', ms: 300 }).wrap(r.h);
    h.onResponseStart!(c as never, 200, {}, 'OK');
    expect(c.paused).toBe(true);
    h.onResponseData!(c as never, Buffer.alloc(10));
    h.onResponseEnd!(c as never, {});
    expect(r.calls).toEqual([]);
    expect(faultState().active).toEqual({ fb: 1 });
    vi.advanceTimersByTime(299);
    expect(r.calls).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(r.calls).toEqual(['start 200', 'data 10', 'end']);
    // The end came while held: the upstream is not resumed after it.
    expect(c.resumes).toBe(0);
    expect(faultState().active).toEqual({});
  });

  it('first byte: a 1xx is the first byte too; it is queued without pausing, the final head paused', () => {
    const c = fakeController();
    const r = recorder();
    const h = admit('fb1', { kind: 'first-byte', ms: 100 }).wrap(r.h);
    h.onResponseStart!(c as never, 100, {});
    // undici waits for the final head here: it must not be paused.
    expect(c.paused).toBe(false);
    vi.advanceTimersByTime(50);
    h.onResponseStart!(c as never, 200, {});
    expect(c.paused).toBe(true);
    expect(r.calls).toEqual([]);
    vi.advanceTimersByTime(50);
    expect(r.calls).toEqual(['start 100', 'start 200']);
    expect(c.paused).toBe(false);
    h.onResponseEnd!(c as never, {});
  });

  it('throttle: at most the budget per tick, upstream paused until nothing waits', () => {
    const c = fakeController();
    const r = recorder();
    // 20,000 B/s: 1,000 bytes per 50 ms tick.
    const h = admit('th', { kind: 'throttle', bytesPerSec: 20_000 }).wrap(r.h);
    h.onResponseStart!(c as never, 200, {});
    h.onResponseData!(c as never, Buffer.alloc(3500));
    expect(c.paused).toBe(true);
    expect(r.calls).toEqual(['start 200', 'data 1000']);
    vi.advanceTimersByTime(50);
    expect(r.calls.slice(2)).toEqual(['data 1000']);
    h.onResponseEnd!(c as never, {});
    vi.advanceTimersByTime(100);
    expect(r.calls.slice(3)).toEqual(['data 1000', 'data 500', 'end']);
    expect(faultState().active).toEqual({});
  });

  it("throttle never resumes over a slow client's pause, and stops feeding it meanwhile", () => {
    const c = fakeController();
    const r = recorder();
    const h = admit('slowc', { kind: 'throttle', bytesPerSec: 20_000 }).wrap(r.h);
    h.onResponseStart!(c as never, 200, {});
    h.onResponseData!(c as never, Buffer.alloc(1500));
    r.controller().pause(); // the forward handler: its client's buffer is full
    vi.advanceTimersByTime(200);
    expect(r.calls).toEqual(['start 200', 'data 1000']);
    r.controller().resume(); // drained
    expect(c.paused).toBe(true); // still held by the throttle: 500 bytes wait
    vi.advanceTimersByTime(50);
    expect(r.calls.slice(2)).toEqual(['data 500']);
    expect(c.paused).toBe(false);
    h.onResponseEnd!(c as never, {});
  });

  it('the kill switch sends what waits at once and lets the rest through; an error drops what waits', () => {
    const c = fakeController();
    const r = recorder();
    const h = admit('ks', { kind: 'throttle', bytesPerSec: 1000 }).wrap(r.h);
    h.onResponseStart!(c as never, 200, {});
    h.onResponseData!(c as never, Buffer.alloc(5000));
    setFaultsEnabled(false);
    expect(r.calls).toEqual(['start 200', 'data 50', 'data 4950']);
    expect(c.paused).toBe(false);
    h.onResponseData!(c as never, Buffer.alloc(64_000));
    expect(r.calls.at(-1)).toBe('data 64000');
    expect(faultState().active).toEqual({});

    setFaultsEnabled(true);
    const c2 = fakeController();
    const r2 = recorder();
    const h2 = admit('err', { kind: 'first-byte', ms: 10_000 }).wrap(r2.h);
    h2.onResponseStart!(c2 as never, 200, {});
    h2.onResponseData!(c2 as never, Buffer.alloc(10));
    h2.onResponseError!(c2 as never, new Error('client gone'));
    vi.advanceTimersByTime(10_000);
    expect(r2.calls).toEqual(['error client gone']);
    expect(faultState().active).toEqual({});
  });
});
