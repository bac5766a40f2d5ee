import { describe, expect, it } from 'vitest';
import { redact, redactUrl } from '../../../src/admin/redact.js';

describe('redact', () => {
  it('hides secret-looking keys and URL passwords, leaves the rest', () => {
    expect(redact({ admin: { token: 't', listen: 'x' }, hooks: ['https://u:pw@h/p'], n: 1, empty: { token: '' } })).toEqual({
      admin: { token: '***', listen: 'x' },
      hooks: ['https://u:***@h/p'],
      n: 1,
      empty: { token: '' },
    });
  });

  it('hides credential-like header values in shadow header rewrites', () => {
    const set = {
      'x-api-key': 'k1',
      'X-API-Key': 'k2',
      'api-key': 'k3',
      authorization: 'Bearer a',
      'proxy-authorization': 'Basic b',
      cookie: 'sid=c',
      'x-auth-token': 'd',
      'x-access-token': 'e',
      'x-csrf-token': 'f',
      'x-amz-security-token': 'g',
      'x-session-id': 'h',
      'x-client-secret': 'i',
      'x-functions-key': 'j',
      'ocp-apim-subscription-key': 'k',
      'x-honeycomb-team': 'l',
      'x-env': 'dark',
    };
    const out = redact({ shadow: [{ headers: { set, remove: ['cookie'] } }] }) as {
      shadow: { headers: { set: Record<string, string> } }[];
    };
    const shown = out.shadow[0]!.headers.set;
    // Every value of headers.set is hidden (names stay), whatever the header is called.
    for (const [k, v] of Object.entries(shown)) expect(v, k).toBe('***');
    expect(Object.keys(shown)).toContain('x-honeycomb-team');
    expect(redact({ other: { 'x-functions-key': 'a', 'x-env': 'b' } })).toEqual({ other: { 'x-functions-key': '***', 'x-env': 'b' } });
  });

  it('hides query values and userinfo of webhook URLs, and route seeds', () => {
    expect(redactUrl('https://hooks.example.com/x?token=abc&api_key=k&sig=s&flag')).toBe(
      'https://hooks.example.com/x?token=***&api_key=***&sig=***&flag',
    );
    expect(redactUrl('https://TOKEN@hooks.example.com/x')).toBe('https://***@hooks.example.com/x');
    expect(redactUrl('http://user:p@ss:w0rd@h:1/')).toBe('http://user:***@h:1/');
    expect(redact({ routes: [{ seed: 'abc', guardrails: { webhook: { url: 'https://h/x?key=1', secret: 's' } } }] })).toEqual({
      routes: [{ seed: '***', guardrails: { webhook: { url: 'https://h/x?key=***', secret: '***' } } }],
    });
  });
});
