// The QA override's locks: client CIDRs (after trustedProxies), signed values bound to route, arm
// and expiry, and the README's shell one-liner minting the same value as signForce.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { createTrustedProxies } from '../../../src/net/cidr.js';
import { compileForce, signForce } from '../../../src/routing/force.js';

const SECRET = 'qa-secret-0123456789';
const NOW = 1_800_000_000;
const req = (value: string | undefined, clientIp = '10.1.2.3') => ({
  headers: value === undefined ? {} : { 'x-fieldlab-arm': value },
  query: '',
  clientIp,
});

describe('force', () => {
  it('follows any named arm when unlocked (loopback-only configs)', () => {
    const f = compileForce('header:x-fieldlab-arm');
    expect(f.read('checkout', req('variant'), NOW)).toEqual({ arm: 'variant' });
    expect(f.read('checkout', req(undefined), NOW)).toBeUndefined();
    expect(f.signed).toBe(false);
  });

  it('refuses clients outside allowFrom', () => {
    const f = compileForce({ from: 'header:x-fieldlab-arm', allowFrom: ['10.0.0.0/8', '2001:db8::/32'] });
    expect(f.read('checkout', req('variant', '10.9.9.9'), NOW)).toEqual({ arm: 'variant' });
    expect(f.read('checkout', req('variant', '::ffff:10.9.9.9'), NOW)).toEqual({ arm: 'variant' });
    expect(f.read('checkout', req('variant', '2001:db8::7'), NOW)).toEqual({ arm: 'variant' });
    expect(f.read('checkout', req('variant', '192.168.1.1'), NOW)).toEqual({ refused: 'not-allowed' });
  });

  it("never lets a trusted proxy's own address (the fallback for a missing or garbled X-Forwarded-For) pass allowFrom", () => {
    const proxies = createTrustedProxies(['127.0.0.1/32', '10.0.0.0/8']);
    const f = compileForce({ from: 'header:x-fieldlab-arm', allowFrom: ['127.0.0.1/32', '10.0.0.0/8', '203.0.113.0/24'] }, proxies);
    expect(f.read('checkout', req('variant', '127.0.0.1'), NOW)).toEqual({ refused: 'not-allowed' });
    expect(f.read('checkout', req('variant', '10.1.2.3'), NOW)).toEqual({ refused: 'not-allowed' });
    expect(f.read('checkout', req('variant', '203.0.113.7'), NOW)).toEqual({ arm: 'variant' });
  });

  it('refuses a signed value that claims to live longer than maxTtl', () => {
    const f = compileForce({ from: 'header:x-fieldlab-arm', secret: SECRET, maxTtlSeconds: 3600 });
    expect(f.read('checkout', req(signForce(SECRET, 'checkout', 'variant', NOW + 3600)), NOW)).toEqual({ arm: 'variant' });
    expect(f.read('checkout', req(signForce(SECRET, 'checkout', 'variant', NOW + 3601)), NOW)).toEqual({ refused: 'too-long' });
    const week = compileForce({ from: 'header:x-fieldlab-arm', secret: SECRET });
    expect(week.read('checkout', req(signForce(SECRET, 'checkout', 'variant', 31_000_000_000)), NOW)).toEqual({ refused: 'too-long' });
  });

  it('follows a signed value until it expires, for its own route and arm only', () => {
    const f = compileForce({ from: 'header:x-fieldlab-arm', secret: SECRET });
    const value = signForce(SECRET, 'checkout', 'variant', NOW + 60);
    expect(value).toMatch(/^variant\.1800000060\.[A-Za-z0-9_-]{43}$/);
    expect(f.read('checkout', req(value), NOW)).toEqual({ arm: 'variant' });
    expect(f.read('checkout', req(value), NOW + 61)).toEqual({ refused: 'expired' });
    expect(f.read('search', req(value), NOW)).toEqual({ refused: 'bad-signature' });
    expect(f.read('checkout', req(value.replace('variant.', 'control.')), NOW)).toEqual({ refused: 'bad-signature' });
    expect(f.read('checkout', req(value.replace('.1800000060.', '.1900000000.')), NOW)).toEqual({ refused: 'bad-signature' });
    expect(f.read('checkout', req(`${value}A`), NOW)).toEqual({ refused: 'bad-signature' });
    expect(f.read('checkout', req(`${value}!`), NOW)).toEqual({ refused: 'bad-signature' });
    expect(f.read('checkout', req(signForce('another-secret-0123', 'checkout', 'variant', NOW + 60)), NOW)).toEqual({
      refused: 'bad-signature',
    });
    expect(f.read('checkout', req('variant'), NOW)).toEqual({ refused: 'unsigned' });
    expect(f.read('checkout', req('variant.x.y'), NOW)).toEqual({ refused: 'bad-signature' });
  });

  it('takes arm names with dots, parsing the value from the right', () => {
    const f = compileForce({ from: 'cookie:fl_arm', secret: SECRET });
    const value = signForce(SECRET, 'r', 'v2.1', NOW + 5);
    expect(f.read('r', { headers: { cookie: `a=b; fl_arm=${value}` }, query: '', clientIp: '' }, NOW)).toEqual({ arm: 'v2.1' });
  });

  it('needs both locks when both are set', () => {
    const f = compileForce({ from: 'header:x-fieldlab-arm', secret: SECRET, allowFrom: ['10.0.0.0/8'] });
    const value = signForce(SECRET, 'checkout', 'variant', NOW + 60);
    expect(f.read('checkout', req(value, '10.0.0.1'), NOW)).toEqual({ arm: 'variant' });
    expect(f.read('checkout', req(value, '8.8.8.8'), NOW)).toEqual({ refused: 'not-allowed' });
  });

  it("mints the same value as the README's shell one-liner", () => {
    const env = { ...process.env, FORCE_SECRET: SECRET, ROUTE: 'checkout', ARM: 'variant', EXP: String(NOW) };
    const shell =
      'printf \'%s.%s.%s\\n\' "$ARM" "$EXP" "$(printf \'%s|%s|%s\' "$ROUTE" "$ARM" "$EXP" | openssl dgst -sha256 -hmac "$FORCE_SECRET" -binary | openssl base64 -A | tr \'+/\' \'-_\' | tr -d =)"';
    expect(execFileSync('sh', ['-c', shell], { env, encoding: 'utf8' }).trim()).toBe(signForce(SECRET, 'checkout', 'variant', NOW));
  });
});
