// Targeting rules compiled once: every operator on headers, cookies and query parameters (linear-time
// string tests only), headers as lists, no Object.prototype reads, client IP CIDRs (IPv4, IPv6,
// v4-mapped), and rules ANDed.
import { describe, expect, it } from 'vitest';
import { compileTargeting } from '../../../src/routing/targeting.js';
import type { StickyInput } from '../../../src/routing/sticky.js';

const req = (o: Partial<StickyInput> & { headers?: StickyInput['headers'] } = {}): StickyInput => ({
  headers: o.headers ?? {},
  query: o.query ?? '',
  clientIp: o.clientIp ?? '192.0.2.1',
});

describe('compileTargeting', () => {
  it('equals, in, notIn, exists, prefix, suffix and contains on a header (names case-insensitive, values exact)', () => {
    const eq = compileTargeting({ header: { 'X-Plan': { equals: 'pro' } } });
    expect([eq(req({ headers: { 'x-plan': 'pro' } })), eq(req({ headers: { 'x-plan': 'Pro' } })), eq(req())]).toEqual([true, false, false]);
    const inList = compileTargeting({ header: { 'x-plan': { in: ['pro', 'team'] } } });
    expect([inList(req({ headers: { 'x-plan': 'team' } })), inList(req({ headers: { 'x-plan': 'free' } }))]).toEqual([true, false]);
    const notIn = compileTargeting({ header: { 'x-country': { notIn: ['US'] } } });
    // Absent counts as "none of these".
    expect([notIn(req({ headers: { 'x-country': 'DE' } })), notIn(req({ headers: { 'x-country': 'US' } })), notIn(req())]).toEqual([
      true,
      false,
      true,
    ]);
    const present = compileTargeting({ header: { 'x-beta': { exists: true } } });
    const absent = compileTargeting({ header: { 'x-beta': { exists: false } } });
    expect([
      present(req({ headers: { 'x-beta': '' } })),
      present(req()),
      absent(req()),
      absent(req({ headers: { 'x-beta': '1' } })),
    ]).toEqual([true, false, true, false]);
    // Linear-time string tests (no regular expressions over client-chosen values: ReDoS).
    const ua = (c: Parameters<typeof compileTargeting>[0]['header']) => compileTargeting({ header: c });
    const mobile = 'Mozilla/5.0 (iPhone) Mobile Safari';
    expect([
      ua({ 'user-agent': { prefix: 'Mozilla/' } })(req({ headers: { 'user-agent': mobile } })),
      ua({ 'user-agent': { prefix: 'curl' } })(req({ headers: { 'user-agent': mobile } })),
    ]).toEqual([true, false]);
    expect(ua({ 'user-agent': { suffix: 'Safari' } })(req({ headers: { 'user-agent': mobile } }))).toBe(true);
    expect(ua({ 'user-agent': { contains: 'Mobile' } })(req({ headers: { 'user-agent': mobile } }))).toBe(true);
    expect(ua({ 'user-agent': { contains: 'Mobile' } })(req())).toBe(false);
    // A pathological value costs a scan, not a backtracking explosion.
    expect(ua({ 'user-agent': { contains: 'MobileSafari!' } })(req({ headers: { 'user-agent': 'Mobile'.repeat(2000) } }))).toBe(false);
  });

  it('reads only real header values: a rule on `constructor` sees an absent header, not Object.prototype', () => {
    expect(compileTargeting({ header: { constructor: { exists: false } } })(req())).toBe(true);
    expect(compileTargeting({ header: { constructor: { equals: 'x' } } })(req())).toBe(false);
    expect(compileTargeting({ header: { constructor: { exists: true } } })(req({ headers: { constructor: 'x' } as never }))).toBe(true);
  });

  it('treats a repeated header as a list: every element must match equals/in, none may be in notIn', () => {
    const notFree = compileTargeting({ header: { 'x-plan': { notIn: ['free'] } } });
    expect(notFree(req({ headers: { 'x-plan': 'free, pro' } }))).toBe(false);
    expect(notFree(req({ headers: { 'x-plan': ['pro', 'free'] } as never }))).toBe(false);
    expect(notFree(req({ headers: { 'x-plan': 'pro' } }))).toBe(true);
    const pro = compileTargeting({ header: { 'x-plan': { in: ['pro'] } } });
    expect([pro(req({ headers: { 'x-plan': 'pro, free' } })), pro(req({ headers: { 'x-plan': 'pro, pro' } }))]).toEqual([false, true]);
    expect(compileTargeting({ header: { 'x-plan': { equals: 'pro' } } })(req({ headers: { 'x-plan': 'pro,free' } }))).toBe(false);
  });

  it('reads cookies and query parameters (a bare ?flag is present with an empty value)', () => {
    const cookie = compileTargeting({ cookie: { plan: { equals: 'pro' } } });
    expect([cookie(req({ headers: { cookie: 'a=1; plan=pro' } })), cookie(req({ headers: { cookie: 'plan=free' } }))]).toEqual([
      true,
      false,
    ]);
    const q = compileTargeting({ query: { ref: { in: ['newsletter'] }, beta: { exists: true } } });
    expect([q(req({ query: 'beta&ref=newsletter' })), q(req({ query: 'ref=newsletter' })), q(req({ query: 'beta&ref=ads' }))]).toEqual([
      true,
      false,
      false,
    ]);
    expect(compileTargeting({ query: { q: { equals: 'a b' } } })(req({ query: 'q=a+b' }))).toBe(true);
  });

  it('matches the client IP against CIDRs, IPv4 and IPv6, in or notIn', () => {
    const office = compileTargeting({ ip: { in: ['10.0.0.0/8', '2001:db8::/32'] } });
    expect(['10.1.2.3', '::ffff:10.1.2.3', '2001:db8::7', '11.0.0.1', '2001:db9::1'].map((clientIp) => office(req({ clientIp })))).toEqual([
      true,
      true,
      true,
      false,
      false,
    ]);
    const outside = compileTargeting({ ip: { notIn: ['10.0.0.0/8'] } });
    expect([outside(req({ clientIp: '10.0.0.1' })), outside(req({ clientIp: '8.8.8.8' }))]).toEqual([false, true]);
  });

  it('ANDs every rule', () => {
    const t = compileTargeting({ header: { 'x-plan': { equals: 'pro' } }, ip: { in: ['10.0.0.0/8'] } });
    expect(t(req({ headers: { 'x-plan': 'pro' }, clientIp: '10.0.0.1' }))).toBe(true);
    expect(t(req({ headers: { 'x-plan': 'pro' }, clientIp: '8.8.8.8' }))).toBe(false);
    expect(t(req({ clientIp: '10.0.0.1' }))).toBe(false);
  });
});
