// CIDR parsing and the trusted-proxy set config compiles from `trustedProxies`.
import { describe, expect, it } from 'vitest';
import { createCidrSet, createTrustedProxies, parseCidr } from '../../../src/net/cidr.js';

describe('CIDRs and trusted proxies', () => {
  const trusted = createTrustedProxies(['10.0.0.0/8', '::1/128']);
  it('parses v4, v6 and bare-address CIDRs and rejects garbage', () => {
    expect(parseCidr('10.0.0.0/8')?.v6).toBe(false);
    expect(parseCidr('2001:db8::/32')?.v6).toBe(true);
    expect(parseCidr('192.0.2.1')).toBeDefined();
    expect(parseCidr('10.0.0.0/33')).toBeUndefined();
    expect(parseCidr('nope')).toBeUndefined();
  });
  it('matches v4-mapped v6 peers against v4 ranges', () => {
    expect(trusted.has('::ffff:10.1.2.3')).toBe(true);
    expect(trusted.has('11.0.0.1')).toBe(false);
    expect(trusted.has('::1')).toBe(true);
  });
});

describe('createCidrSet (IPv4 fast path)', () => {
  it('agrees with the mask arithmetic on edges, v4-mapped and malformed addresses', () => {
    const set = createCidrSet(['10.0.0.0/8', '192.0.2.128/25', '255.255.255.255/32', '2001:db8::/32']);
    const cases: [string, boolean][] = [
      ['10.0.0.0', true],
      ['10.255.255.255', true],
      ['11.0.0.0', false],
      ['192.0.2.127', false],
      ['192.0.2.128', true],
      ['255.255.255.255', true],
      ['255.255.255.254', false],
      ['::ffff:10.1.2.3', true],
      ['2001:db8::1', true],
      ['10.1.2', false],
      ['10.1.2.3.4', false],
      ['010.1.2.3', false],
      ['10.256.1.1', false],
      ['10..1.1', false],
      ['', false],
    ];
    for (const [ip, want] of cases) expect([ip, set.has(ip)]).toEqual([ip, want]);
    expect(createCidrSet(['0.0.0.0/0']).has('203.0.113.9')).toBe(true);
  });
});

describe('createCidrSet (many prefixes)', () => {
  it('answers like a per-block mask test over 1,000 scattered and overlapping IPv4 prefixes', () => {
    const cidrs: string[] = [];
    for (let i = 0; i < 1000; i++) cidrs.push(`${(i * 37) % 224}.${(i * 11) % 256}.${(i * 7) % 256}.0/${16 + (i % 9)}`);
    const set = createCidrSet(cidrs);
    const blocks = cidrs.map((c) => parseCidr(c)!);
    let hits = 0;
    const toNum = (ip: string) => ip.split('.').reduce((a, p) => a * 256 + Number(p), 0);
    for (let i = 0; i < 1000; i++) {
      const ip = `${(i * 53) % 256}.${(i * 29) % 256}.${(i * 17) % 256}.${i % 256}`;
      const want = blocks.some((b) => (BigInt(toNum(ip)) & b.mask) === b.base);
      if (want) hits++;
      expect([ip, set.has(ip)]).toEqual([ip, want]);
    }
    expect(hits).toBeGreaterThan(20);
  });
});
