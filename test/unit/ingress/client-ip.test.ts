import { describe, expect, it } from 'vitest';
import { resolveClientIp } from '../../../src/ingress/client-ip.js';
import { createTrustedProxies } from '../../../src/net/cidr.js';

describe('client IP', () => {
  const trusted = createTrustedProxies(['10.0.0.0/8', '::1/128']);
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
  it('reads entries that carry the client port (ip:port, [v6]:port) as the client, not as garbage', () => {
    expect(resolveClientIp('10.0.0.2', '203.0.113.7:5555', trusted)).toBe('203.0.113.7');
    expect(resolveClientIp('10.0.0.2', '[2001:db8::1]:443', trusted)).toBe('2001:db8::1');
    expect(resolveClientIp('10.0.0.2', '[2001:db8::1]', trusted)).toBe('2001:db8::1');
    expect(resolveClientIp('10.0.0.2', '6.6.6.6, 203.0.113.7:5555, 10.9.9.9:80', trusted)).toBe('203.0.113.7');
    expect(resolveClientIp('10.0.0.2', '203.0.113.7:99999999', trusted)).toBe('10.0.0.2');
  });
});
