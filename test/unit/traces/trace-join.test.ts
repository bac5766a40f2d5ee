// The span join with a fake clock and a recording batcher: when a pair is diffed, what becomes of
// shadow pairs, noise pairs, repeats, pairs without spans and pairs past the bound.
import { describe, expect, it } from 'vitest';
import type { CapturedResponse, ComparePair } from '../../../src/compare/types.js';
import type { CompiledShadow } from '../../../src/mirror/shadow-spec.js';
import type { DiffBatcher } from '../../../src/storage/batcher.js';
import type { ReceivedSpan } from '../../../src/traces/otlp-decode.js';
import { createSpanBuffer } from '../../../src/traces/span-buffer.js';
import { createTraceJoin } from '../../../src/traces/trace-join.js';

function recorder() {
  const calls: { fields: string[]; noise: string[]; skips: string[]; examples: string[] } = {
    fields: [],
    noise: [],
    skips: [],
    examples: [],
  };
  const batcher = {
    field: (_t: { shadow: string }, f: string, kind: string, d: boolean) => calls.fields.push(`${f} ${kind} ${d}`),
    noise: (t: { shadow: string }, f: string, d: boolean) => calls.noise.push(`${t.shadow} ${f} ${d}`),
    skip: (_r: string, _s: string, reason: string) => calls.skips.push(reason),
    wantsExample: () => true,
    example: (ex: { field: string; traceId?: string }) => calls.examples.push(`${ex.field} ${ex.traceId}`),
  } as unknown as DiffBatcher;
  return { batcher, calls };
}

const res: CapturedResponse = { status: 200, headers: {}, body: Buffer.alloc(0), truncated: false, bodyBytes: 0, latencyMs: 1 };
const T = 'ab'.repeat(16);
const pair = (candidate: string, path = '/cart/1', traceId = T, primary = '1'.repeat(16)): ComparePair => ({
  route: 'r',
  shadow: 'dark',
  method: 'GET',
  path,
  routeTemplate: undefined,
  requestId: 'q',
  traceId,
  spans: { primary, candidate },
  at: Date.now(),
  primary: { ...res },
  candidate: res,
});
let id = 100;
const span = (parent: string, service: string, name: string, traceId = T): ReceivedSpan => ({
  traceId,
  spanId: (id++).toString(16).padStart(16, '0'),
  parentSpanId: parent,
  service,
  name,
  startMs: 0,
  durationMs: 1,
  error: false,
});
const shadow = {} as CompiledShadow;

describe('createTraceJoin', () => {
  it('waits for both trees and a quiet trace, then writes trace fields and an example', () => {
    let now = 0;
    const buffer = createSpanBuffer({ maxTraces: 10, maxSpansPerTrace: 100, holdMs: 60_000, now: () => now });
    const { batcher, calls } = recorder();
    const join = createTraceJoin({ buffer, batcher, waitMs: 30_000, settleMs: 1000, now: () => now });
    join.stop();
    join.tap.pair(pair('2'.repeat(16)), shadow, 'shadow');
    buffer.add([span('1'.repeat(16), 'checkout', 'GET /cart/1')]);
    join.drain();
    expect(calls.fields).toEqual([]); // the shadow's tree is not in yet
    buffer.add([span('2'.repeat(16), 'checkout', 'GET /cart/1'), span('2'.repeat(16), 'fraud', 'POST /check')]);
    now = 500;
    join.drain();
    expect(calls.fields).toEqual([]); // not quiet for settleMs yet
    now = 1600;
    join.drain();
    expect(calls.fields).toContain('trace:calls:fraud POST /check added true');
    expect(calls.fields).toContain('trace:calls:checkout GET /cart/:id same false');
    expect(calls.examples).toContain(`trace:calls:fraud POST /check ${T}`);
    expect(join.stats()).toMatchObject({ pending: 0, compared: 1 });
  });

  it('counts noise pairs as noise and a repeat of the same request as route-wide noise', () => {
    const buffer = createSpanBuffer({ maxTraces: 10, maxSpansPerTrace: 100, holdMs: 60_000 });
    const { batcher, calls } = recorder();
    const join = createTraceJoin({ buffer, batcher, waitMs: 30_000 });
    join.stop();
    const other = 'cd'.repeat(16);
    buffer.add([span('1'.repeat(16), 'checkout', 'GET /cart/1'), span('3'.repeat(16), 'checkout', 'GET /cart/1')]);
    buffer.add([span('7'.repeat(16), 'checkout', 'GET /cart/1', other), span('7'.repeat(16), 'cache', 'GET /refresh', other)]);
    buffer.add([span('4'.repeat(16), 'checkout', 'GET /cart/1', other)]);
    join.tap.pair(pair('3'.repeat(16)), shadow, 'noise');
    join.tap.pair(pair('3'.repeat(16)), shadow, 'shadow');
    join.tap.pair(pair('4'.repeat(16), '/cart/1', other, '7'.repeat(16)), shadow, 'shadow');
    join.drain(true);
    expect(calls.noise).toContain('dark trace:calls:checkout GET /cart/:id false');
    // The second request's primary called the cache, the first's did not: a repeat says it varies.
    expect(calls.noise).toContain('* trace:calls:cache GET /refresh true');
  });

  it('skips pairs whose spans never came, drops past maxPending, ignores untraced pairs', () => {
    const buffer = createSpanBuffer({ maxTraces: 10, maxSpansPerTrace: 100, holdMs: 60_000 });
    const { batcher, calls } = recorder();
    const join = createTraceJoin({ buffer, batcher, waitMs: 30_000, maxPending: 1 });
    join.stop();
    join.tap.pair(pair('2'.repeat(16)), shadow, 'shadow');
    join.tap.pair(pair('5'.repeat(16)), shadow, 'shadow');
    const { spans: _s, ...untraced } = pair('6'.repeat(16));
    join.tap.pair(untraced, shadow, 'shadow');
    join.drain(true);
    expect(calls.skips).toEqual(['spans-dropped', 'spans-missing']);
    expect(join.stats()).toEqual({ pending: 0, compared: 0, missing: 1, dropped: 1, untraced: 1 });
  });
});
