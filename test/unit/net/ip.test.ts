// The address helpers every layer shares: the IPv4-mapped strip and the loopback check.
import { describe, expect, it } from 'vitest';
import { isLoopback, stripV4Mapped } from '../../../src/net/ip.js';

describe('stripV4Mapped', () => {
  it('strips the IPv4-mapped prefix and leaves other addresses alone', () => {
    expect(stripV4Mapped('::ffff:10.1.2.3')).toBe('10.1.2.3');
    expect(stripV4Mapped('10.1.2.3')).toBe('10.1.2.3');
    expect(stripV4Mapped('::1')).toBe('::1');
    expect(stripV4Mapped('::ffff:abcd')).toBe('::ffff:abcd');
  });
});

describe('isLoopback', () => {
  it('accepts 127/8, ::1 and localhost only', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', 'localhost'].map(isLoopback)).toEqual([true, true, true, true]);
    expect(['0.0.0.0', '::', '10.0.0.1', '128.0.0.1'].map(isLoopback)).toEqual([false, false, false, false]);
  });
});
