// One rounding rule for all JSON Fieldlab hands out: no binary float noise, no NaN, ISO timestamps
// under the time keys of guardrail outputs.
import { describe, expect, it } from 'vitest';
import { jsonNumber, jsonReplacer, toJsonSafe } from '../../../src/net/json-safe.js';

describe('json-safe', () => {
  it('rounds floats to 6 significant digits and keeps integers', () => {
    expect([jsonNumber(1 - 0.99), jsonNumber(100 - 33.3 - 33.3), jsonNumber(12345678), jsonNumber(1.23456789e-9)]).toEqual([
      0.01, 33.4, 12345678, 1.23457e-9,
    ]);
    expect([jsonNumber(Number.NaN), jsonNumber(Number.POSITIVE_INFINITY)]).toEqual([null, null]);
  });
  it('serializes through a replacer without float noise', () => {
    expect(JSON.stringify({ budget: 1 - 0.99, list: [0.1 + 0.2] }, jsonReplacer)).toBe('{"budget":0.01,"list":[0.3]}');
  });
  it('turns epoch-ms time keys into ISO strings and leaves other numbers and Dates alone', () => {
    const at = Date.UTC(2026, 11, 2);
    expect(toJsonSafe({ at, since: null, n: at, when: new Date(at), nested: [{ stepStartedAt: at }] })).toEqual({
      at: '2026-12-02T00:00:00.000Z',
      since: null,
      n: at,
      when: new Date(at),
      nested: [{ stepStartedAt: '2026-12-02T00:00:00.000Z' }],
    });
  });
});
