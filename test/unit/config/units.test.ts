// The unit parsers behind every duration, size, percent and listen address in the config.
import { describe, it, expect } from 'vitest';
import { parseDuration, parseListen, parsePercent, parseSize } from '../../../src/config/units.js';

describe('parseDuration', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['2m', 120_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5s', 1500],
    [' 10s ', 10_000],
    [250, 250],
    [0, 0],
  ] as const)('%j → %d ms', (input, ms) => {
    expect(parseDuration(input)).toEqual({ ok: true, value: ms });
  });

  it('reads a bare numeric string as milliseconds, like a number (e.g. a quoted ${VAR})', () => {
    expect(parseDuration('500')).toEqual({ ok: true, value: 500 });
  });

  it('rejects unknown units and negative numbers', () => {
    expect(parseDuration('10 minutes')).toEqual({ ok: false, error: 'invalid duration "10 minutes" (use e.g. 500ms, 30s, 2m, 1h)' });
    expect(parseDuration(-1)).toEqual({ ok: false, error: 'invalid duration -1' });
    expect(parseDuration(Number.POSITIVE_INFINITY).ok).toBe(false);
  });
});

describe('parseSize', () => {
  it.each([
    ['16KiB', 16_384],
    ['1MiB', 1_048_576],
    ['1GiB', 1024 ** 3],
    ['10MB', 10_000_000],
    ['2kb', 2000],
    ['1.5KiB', 1536],
    ['512', 512],
    ['64B', 64],
    [4096, 4096],
  ] as const)('%j → %d bytes', (input, bytes) => {
    expect(parseSize(input)).toEqual({ ok: true, value: bytes });
  });

  it('rejects unknown units, fractions of a byte and negatives', () => {
    expect(parseSize('abc')).toEqual({ ok: false, error: 'invalid size "abc" (use e.g. 512KiB, 1MiB, 10MB)' });
    expect(parseSize('10XB').ok).toBe(false);
    expect(parseSize(1.5)).toEqual({ ok: false, error: 'invalid size 1.5' });
    expect(parseSize(-1).ok).toBe(false);
  });
});

describe('parsePercent', () => {
  it.each([
    ['10', 10],
    ['10%', 10],
    ['99.9%', 99.9],
    [' 5 % ', 5],
    [0, 0],
    [100, 100],
    [12.5, 12.5],
  ] as const)('%j → %d', (input, value) => {
    expect(parsePercent(input)).toEqual({ ok: true, value });
  });

  it('rejects values outside 0..100 and names the value', () => {
    expect(parsePercent(150)).toEqual({ ok: false, error: 'invalid percent "150" (must be between 0 and 100)' });
    expect(parsePercent('100.1%')).toEqual({ ok: false, error: 'invalid percent "100.1%" (must be between 0 and 100)' });
    expect(parsePercent(-1).ok).toBe(false);
    expect(parsePercent('-1').ok).toBe(false);
    expect(parsePercent('ten').ok).toBe(false);
    expect(parsePercent(Number.NaN).ok).toBe(false);
  });
});

describe('parseListen', () => {
  it.each([
    ['127.0.0.1:9901', '127.0.0.1', 9901],
    ['0.0.0.0:8080', '0.0.0.0', 8080],
    ['localhost:0', 'localhost', 0],
    ['[::1]:80', '::1', 80],
    ['[::]:8080', '::', 8080],
    [':9000', '0.0.0.0', 9000],
    ['8080', '0.0.0.0', 8080],
    [8080, '0.0.0.0', 8080],
    [' 127.0.0.1:1 ', '127.0.0.1', 1],
  ] as const)('%j → %s port %d', (input, host, port) => {
    expect(parseListen(input)).toEqual({ ok: true, value: { host, port } });
  });

  it('rejects missing ports, out-of-range ports and unbracketed IPv6', () => {
    expect(parseListen('localhost')).toEqual({
      ok: false,
      error: 'invalid listen address "localhost" (use host:port, e.g. 0.0.0.0:8080)',
    });
    expect(parseListen('127.0.0.1:65536').ok).toBe(false);
    expect(parseListen('::1:80').ok).toBe(false);
    expect(parseListen('host:port').ok).toBe(false);
    expect(parseListen('').ok).toBe(false);
  });
});
