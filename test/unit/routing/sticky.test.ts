import { describe, expect, it } from 'vitest';
import { compileSource, compileSticky, readCookie, stickyCookie } from '../../../src/routing/sticky.js';

const input = (headers: Record<string, string> = {}, query = '', clientIp = '10.0.0.1') => ({ headers, query, clientIp });

describe('sticky keys', () => {
  it('takes the first present source in order', () => {
    const key = compileSticky(['header:x-user-id', 'cookie:sid', 'query:u', 'ip']);
    expect(key(input({ 'x-user-id': 'alice', cookie: 'sid=s1' }, 'u=q1'))).toEqual({ key: 'alice', source: 'header:x-user-id' });
    expect(key(input({ cookie: 'a=1; sid=s1' }, 'u=q1'))).toEqual({ key: 's1', source: 'cookie:sid' });
    expect(key(input({}, 'x=1&u=q%201'))).toEqual({ key: 'q 1', source: 'query:u' });
    expect(key(input({}))).toEqual({ key: '10.0.0.1', source: 'ip' });
  });
  it('generates an id and names the cookie to issue when nothing is present', () => {
    const got = compileSticky(['header:x-user-id'])(input());
    expect(got.source).toBe('generated');
    expect(got.issueCookie).toBe('fl_uid');
    expect(got.key).toMatch(/^[0-9a-f-]{36}$/);
    expect(compileSticky(['header:x', 'cookie:my_uid'])(input()).issueCookie).toBe('my_uid');
  });
  it('reads the issued default cookie back even when no cookie source is listed', () => {
    expect(compileSticky(['header:x-user-id'])(input({ cookie: 'fl_uid=abc' }))).toEqual({ key: 'abc', source: 'cookie:fl_uid' });
  });
  it('treats empty values as absent', () => {
    expect(compileSource('header:x')(input({ x: '  ' }))).toBeUndefined();
    expect(readCookie('a=; b=2', 'a')).toBeUndefined();
    expect(readCookie('a="q"', 'a')).toBe('q');
    expect(readCookie('ab=1', 'a')).toBeUndefined();
  });
  it('builds a long-lived, HttpOnly, SameSite=Lax cookie, Secure only on TLS', () => {
    expect(stickyCookie('fl_uid', 'x', false)).toBe('fl_uid=x; Path=/; Max-Age=31536000; HttpOnly; SameSite=Lax');
    expect(stickyCookie('fl_uid', 'x', true)).toMatch(/; Secure$/);
  });
});
