import { describe, expect, it } from 'vitest';
import { isoOf, isoTime } from '../../../src/telemetry/log-time.js';

describe('isoOf', () => {
  it('is toISOString, across seconds, minutes, days and years', () => {
    const starts = [0, 999, 1000, Date.UTC(2026, 11, 2, 16, 45, 59, 999), Date.UTC(2026, 11, 31, 23, 59, 59, 990), Date.now()];
    for (const start of starts) {
      for (let ms = start; ms < start + 2500; ms += 7) expect(isoOf(ms)).toBe(new Date(ms).toISOString());
    }
  });

  it('falls back for years outside 0000-9999 (a longer ISO form)', () => {
    for (const ms of [-62198755200001, 253402300800000, -1]) expect(isoOf(ms)).toBe(new Date(ms).toISOString());
  });

  it('is the `time` field pino.stdTimeFunctions.isoTime writes', () => {
    expect(isoTime()).toMatch(/^,"time":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z"$/);
  });
});
