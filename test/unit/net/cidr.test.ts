// CIDR parsing and the trusted-proxy set config compiles from `trustedProxies`.
import { describe, expect, it } from 'vitest';
import { createTrustedProxies, parseCidr } from '../../../src/net/cidr.js';

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
