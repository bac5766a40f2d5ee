// Arm profiles with a fake clock and a real span buffer: when a noted request is profiled, what it
// counts per arm and operation, the intervals, and the bounds (pending requests, operations).
import { describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../../../src/traces/otlp-decode.js';
import { armOperation, createArmProfiles } from '../../../src/traces/arm-profiles.js';
import { createSpanBuffer } from '../../../src/traces/span-buffer.js';

let id = 100;
const span = (traceId: string, parent: string, service: string, name: string, durationMs = 1, error = false): ReceivedSpan => ({
  traceId,
  spanId: (id++).toString(16).padStart(16, '0'),
  parentSpanId: parent,
  service,
  name,
  startMs: 0,
  durationMs,
  error,
});

/** One request of `arm`: the build's server span below `sent`, then `calls` calls to inventory. */
function request(trace: string, sent: string, calls: number, ms = 1, error = false): ReceivedSpan[] {
  const root = span(trace, sent, 'shop', 'GET /shop/1');
  return [root, ...Array.from({ length: calls }, (_, i) => span(trace, root.spanId, 'inventory', `GET /items/${i + 7}`, ms, error))];
}

const setup = (opts: { maxOps?: number; maxPending?: number } = {}) => {
  let now = 0;
  const buffer = createSpanBuffer({
    maxTraces: 1000,
    maxSpansPerTrace: 100,
    holdMs: 60_000,
    now: () => now,
  });
  const profiles = createArmProfiles({
    buffer,
    waitMs: 5000,
    settleMs: 100,
    now: () => now,
    tickMs: 1e9,
    ...opts,
  });
  return { buffer, profiles, advance: (ms: number) => (now += ms) };
};

describe('createArmProfiles', () => {
  it('counts calls per request by arm, with intervals apart when the variant calls twice', async () => {
    const { buffer, profiles, advance } = setup();
    for (let i = 0; i < 20; i++) {
      const trace = i.toString(16).padStart(32, '0');
      const variant = i % 2 === 1;
      profiles.note('shop', variant ? 'variant' : 'control', trace, 'f'.repeat(16));
      buffer.add(request(trace, 'f'.repeat(16), variant ? 2 : 1, variant ? 9 : 3, variant && i % 4 === 1));
    }
    // Not settled yet: spans arrived just now.
    profiles.drain();
    expect(profiles.stats()).toMatchObject({ pending: 20, profiled: 0 });
    advance(200);
    profiles.drain();
    expect(profiles.stats()).toMatchObject({
      pending: 0,
      profiled: 20,
      missing: 0,
    });
    const p = (await profiles.read('shop'))!;
    expect(p.note).toBeUndefined();
    expect(p.arms).toEqual({
      control: { requests: 10, missing: 0 },
      variant: { requests: 10, missing: 0 },
    });
    const inv = p.operations.find((o) => o.op === 'inventory GET /items/:id')!;
    expect(inv.arms.control!.callsPerRequest).toEqual({
      mean: 1,
      lower: 1,
      upper: 1,
    });
    expect(inv.arms.variant!.callsPerRequest).toEqual({
      mean: 2,
      lower: 2,
      upper: 2,
    });
    // The median is its histogram bucket's upper bound: at most 10% above the true one.
    expect(inv.arms.variant!.latencyMs.mean).toBe(9);
    expect(inv.arms.variant!.latencyMs.p50).toBeGreaterThanOrEqual(9);
    expect(inv.arms.variant!.latencyMs.p50).toBeLessThanOrEqual(9.9);
    expect(inv.arms.control!.latencyMs.p50).toBeGreaterThanOrEqual(3);
    expect(inv.arms.control!.latencyMs.p50).toBeLessThanOrEqual(3.3);
    // Variant requests i = 1, 5, 9, 13, 17 erred on both calls: 10 of 20 calls.
    expect(inv.arms.variant!.errors).toBe(10);
    expect(inv.arms.variant!.errorRate.rate).toBe(0.5);
    expect(inv.arms.variant!.errorRate.lower).toBeGreaterThan(0.2);
    expect(inv.arms.control!.errorRate).toMatchObject({ rate: 0, lower: 0 });
  });

  it('counts a request whose spans never came as missing, at its deadline', async () => {
    const { profiles, advance } = setup();
    profiles.note('shop', 'control', 'a'.repeat(32), 'f'.repeat(16));
    advance(1000);
    profiles.drain();
    expect(profiles.stats().pending).toBe(1);
    advance(5000);
    profiles.drain();
    expect(profiles.stats()).toMatchObject({ pending: 0, missing: 1 });
    expect(await profiles.read('shop')).toMatchObject({
      note: 'no spans',
      operations: [],
      arms: { control: { requests: 0, missing: 1 } },
    });
    expect(await profiles.read('other')).toBeUndefined();
  });

  it('drops and counts requests past maxPending and operations past maxOps', async () => {
    const { buffer, profiles, advance } = setup({ maxOps: 2, maxPending: 1 });
    const trace = 'b'.repeat(32);
    profiles.note('shop', 'control', trace, 'f'.repeat(16));
    profiles.note('shop', 'control', 'c'.repeat(32), 'f'.repeat(16));
    expect(profiles.stats().dropped).toBe(1);
    const root = span(trace, 'f'.repeat(16), 'shop', 'GET /shop/1');
    buffer.add([root, span(trace, root.spanId, 'a', 'x'), span(trace, root.spanId, 'b', 'y'), span(trace, root.spanId, 'c', 'z')]);
    advance(200);
    profiles.drain();
    const p = (await profiles.read('shop'))!;
    expect(p.operations.map((o) => o.op)).toEqual(['a x', 'shop GET /shop/:id']);
    expect(p.droppedOps).toBe(2);
  });
});

describe('createArmProfiles slices', () => {
  it('spends at most sliceMs per drain; drain(true) settles the rest', () => {
    let now = 0;
    // Every clock reading takes 1 ms: a slice of 4 ms fits only a few requests.
    const clock = () => now++;
    const buffer = createSpanBuffer({ maxTraces: 10, maxSpansPerTrace: 10, holdMs: 60_000, now: clock });
    const profiles = createArmProfiles({ buffer, waitMs: 10, settleMs: 1, now: clock, tickMs: 1e9, sliceMs: 4 });
    for (let i = 0; i < 20; i++) profiles.note('shop', 'control', 'd'.repeat(32), 'f'.repeat(16));
    now += 100;
    profiles.drain();
    const after = profiles.stats();
    expect(after.missing).toBeGreaterThan(0);
    expect(after.pending).toBeGreaterThan(0);
    profiles.drain(true);
    expect(profiles.stats()).toMatchObject({ pending: 0, missing: 20 });
  });
});

describe('armOperation', () => {
  it('gives calls per request with a normal interval, and none below two requests', () => {
    const acc = {
      calls: 3,
      sumSq: 5,
      errors: 0,
      totalMs: 3,
      latency: [],
    };
    // Requests called it 1, 2 and 0 times: mean 1, sample variance 1.
    const three = armOperation(3, acc).callsPerRequest;
    expect(three.mean).toBe(1);
    expect(three.upper).toBeCloseTo(1 + 1.96 / Math.sqrt(3), 6);
    expect(three.lower).toBe(0);
    expect(armOperation(1, { ...acc, calls: 2, sumSq: 4 }).callsPerRequest).toEqual({ mean: 2, lower: undefined, upper: undefined });
    expect(armOperation(4, undefined)).toMatchObject({
      calls: 0,
      callsPerRequest: { mean: 0, lower: 0, upper: 0 },
      errorRate: { rate: 0, lower: 0, upper: 1 },
    });
  });
});
