// Signed QA requests for the response faults: `fault:first-byte` and `fault:throttle` are followed
// only on a route with that block (its delay range or rate apply), like fault:abort and fault:delay.
import { describe, expect, it } from 'vitest';
import type { RawFault } from '../../../src/config/schema-fault.js';
import { compileFault } from '../../../src/faults/fault-spec.js';
import { readFaultHeader } from '../../../src/faults/header.js';
import { signForce } from '../../../src/routing/force.js';

const SECRET = 'qa-secret-0123456789abcdef';
const NOW = 1_800_000_000;
const header = { from: 'header:x-fault', secret: SECRET, maxTtl: 3_600_000 } as RawFault['header'];
const ask = (f: RawFault, kind: string) =>
  readFaultHeader(
    compileFault(f),
    'r',
    { headers: { 'x-fault': signForce(SECRET, 'r', `fault:${kind}`, NOW + 60) }, query: '', clientIp: '127.0.0.1' },
    NOW,
    () => 0.5,
  );

describe('readFaultHeader: response kinds', () => {
  const both: RawFault = {
    by: 'unit',
    maxActive: 10,
    header,
    response: { firstByte: { percent: 0, min: 100, max: 300 }, throttle: { percent: 0, rate: 2048 } },
  };
  it('follows fault:first-byte and fault:throttle on a route that has them', () => {
    expect(ask(both, 'first-byte')).toEqual({ result: 'followed', decision: { kind: 'first-byte', ms: 200 } });
    expect(ask(both, 'throttle')).toEqual({ result: 'followed', decision: { kind: 'throttle', bytesPerSec: 2048 } });
  });
  it('refuses a kind the route has no block for', () => {
    const onlyDelay: RawFault = { by: 'unit', maxActive: 10, header, delay: { percent: 0, fixed: 100 } };
    expect(ask(onlyDelay, 'first-byte')).toEqual({ result: 'unknown-kind' });
    expect(ask(onlyDelay, 'throttle')).toEqual({ result: 'unknown-kind' });
    expect(ask(both, 'delay')).toEqual({ result: 'unknown-kind' });
  });
});
