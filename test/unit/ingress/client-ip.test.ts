import { describe, expect, it } from 'vitest';
import { createTrustedProxies, parseCidr, resolveClientIp } from '../../../src/ingress/client-ip.js';

describe('client IP', () => {
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
  it('ignores X-Forwarded-For from untrusted peers', () => {
    expect(resolveClientIp('203.0.113.5', '1.2.3.4', trusted)).toBe('203.0.113.5');
    expect(resolveClientIp('10.0.0.2', '1.2.3.4', createTrustedProxies([]))).toBe('10.0.0.2');
  });
  it('takes the rightmost untrusted hop from trusted peers', () => {
    expect(resolveClientIp('10.0.0.2', '6.6.6.6, 1.2.3.4, 10.9.9.9', trusted)).toBe('1.2.3.4');
    expect(resolveClientIp('10.0.0.2', '10.1.1.1, 10.2.2.2', trusted)).toBe('10.1.1.1');
    expect(resolveClientIp('10.0.0.2', 'garbage, 1.2.3.4', trusted)).toBe('1.2.3.4');
    expect(resolveClientIp('10.0.0.2', '1.2.3.4, garbage', trusted)).toBe('10.0.0.2');
  });
});
