// Drawing a fault: a sticky slice is exactly the units whose fault-salted hash is below the percent
// (independent of the arm's bucket), per request is the random draw, arms filter, abort wins.
import { describe, expect, it } from 'vitest';
import type { RawFault } from '../../../src/config/schema-fault.js';
import { decideFault } from '../../../src/faults/decide.js';
import { compileFault } from '../../../src/faults/fault-spec.js';
import { bucketOf } from '../../../src/routing/hash.js';

const fault = (f: Partial<RawFault>) => compileFault({ by: 'unit', maxActive: 100, ...f });
const keys = Array.from({ length: 2000 }, (_, i) => `u${i}`);

describe('decideFault', () => {
  it('by unit: exactly the units whose fault:abort bucket is below percent × 100, every time', () => {
    const f = fault({ abort: { percent: 10, status: 503, reset: false } });
    const hit = keys.filter((k) => decideFault(f, 'seed', k, 'control'));
    expect(hit).toEqual(keys.filter((k) => bucketOf('fault:abort\nseed', k) < 1000));
    expect(keys.filter((k) => decideFault(f, 'seed', k, 'control'))).toEqual(hit);
    expect(hit.length).toBeGreaterThan(150);
    expect(hit.length).toBeLessThan(250);
    // Domain-separated from the arm bucket: the slice is not the units of the lowest arm buckets.
    const armLow = keys.filter((k) => bucketOf('seed', k) < 1000);
    expect(hit).not.toEqual(armLow);
  });

  it('per request: the random draw decides, not the key', () => {
    const f = fault({
      by: 'request',
      abort: { percent: 25, status: 503, reset: false },
    });
    expect(decideFault(f, 's', 'u1', 'control', () => 0.2499)).toEqual({
      kind: 'abort',
    });
    expect(decideFault(f, 's', 'u1', 'control', () => 0.25)).toBeUndefined();
  });

  it('only on the listed arms; abort wins over delay; reset and delay lengths', () => {
    const both = fault({
      arms: ['variant'],
      abort: { percent: 100, status: 500, reset: true },
      delay: { percent: 100, min: 100, max: 300 },
    });
    expect(decideFault(both, 's', 'u1', 'control')).toBeUndefined();
    expect(decideFault(both, 's', 'u1', 'variant')).toEqual({ kind: 'reset' });
    const delay = fault({ delay: { percent: 100, min: 100, max: 300 } });
    expect(decideFault(delay, 's', 'u1', 'control', () => 0.5)).toEqual({
      kind: 'delay',
      ms: 200,
    });
    expect(decideFault(fault({ delay: { percent: 100, fixed: 250 } }), 's', 'u1', 'control', () => 0.9)).toEqual({
      kind: 'delay',
      ms: 250,
    });
  });

  it('compiles the abort reply with the configured status and the FL_FAULT_INJECTED code', () => {
    expect(fault({ abort: { percent: 1, status: 500, reset: false } }).abortReply).toMatchObject({
      code: 'FL_FAULT_INJECTED',
      status: 500,
    });
    expect(fault({ abort: { percent: 1, status: 503, reset: true } }).abortReply).toBeUndefined();
  });

  it('response faults: each its own sticky slice, after abort and delay; one fault per request', () => {
    const f = fault({
      delay: { percent: 10, fixed: 100 },
      response: { firstByte: { percent: 20, min: 100, max: 300 }, throttle: { percent: 30, rate: 4096 } },
    });
    const kinds = new Map(keys.map((k) => [k, decideFault(f, 'seed', k, 'control', () => 0.5)]));
    const inSlice = (salt: string, pct: number) => (k: string) => bucketOf(`fault:${salt}\nseed`, k) < pct * 100;
    const delay = keys.filter(inSlice('delay', 10));
    const first = keys.filter((k) => !delay.includes(k) && inSlice('first-byte', 20)(k));
    const throttle = keys.filter((k) => !delay.includes(k) && !first.includes(k) && inSlice('throttle', 30)(k));
    expect(keys.filter((k) => kinds.get(k)?.kind === 'first-byte')).toEqual(first);
    expect(keys.filter((k) => kinds.get(k)?.kind === 'throttle')).toEqual(throttle);
    expect(kinds.get(first[0]!)).toEqual({ kind: 'first-byte', ms: 200 });
    expect(kinds.get(throttle[0]!)).toEqual({ kind: 'throttle', bytesPerSec: 4096 });
  });
});
