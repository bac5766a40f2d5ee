// Redaction before storage: the rules of diff examples plus secret-looking names, and a body that
// cannot be checked is refused rather than stored.
import { gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { redactBody, redactHeaders, redactRules, redactTarget } from '../../../src/record/redact-sample.js';

const rules = redactRules(['header:x-card', 'body:$.card.number', 'body:$.items[*].token']);
const json = { 'content-type': 'application/json' };

describe('redact-sample', () => {
  it('replaces listed and secret-looking header values; a Set-Cookie keeps its name', () => {
    expect(
      redactHeaders(
        [
          ['Accept', 'a/b'],
          ['x-card', '4111'],
          ['x-api-key', 'k'],
          ['Authorization', 'Bearer t'],
          ['set-cookie', 'sid=abc; HttpOnly'],
        ],
        redactRules(['header:set-cookie']),
      ).concat(redactHeaders([['x-card', '4111']], rules)),
    ).toEqual([
      ['accept', 'a/b'],
      ['x-card', '4111'],
      ['x-api-key', '[redacted]'],
      ['authorization', '[redacted]'],
      ['set-cookie', 'sid=[redacted]'],
      ['x-card', '[redacted]'],
    ]);
  });

  it('hides secret-looking query values and keeps the rest as written', () => {
    expect(redactTarget('/a?q=1&access_token=t&b=%20x&password=p')).toBe(
      '/a?q=1&access_token=%5Bredacted%5D&b=%20x&password=%5Bredacted%5D',
    );
    expect(redactTarget('/plain')).toBe('/plain');
    expect(redactTarget('/shop/q;jsessionid=MATRIX-SECRET;v=2?a=1')).toBe('/shop/q;jsessionid=%5Bredacted%5D;v=2?a=1');
    expect(redactHeaders([['X-Upstream-Creds', 'CREDS-SECRET']], redactRules([]))).toEqual([['x-upstream-creds', '[redacted]']]);
  });

  it('redacts JSON by the rules and by secret-looking keys, gzip too', () => {
    const body = { card: { number: '4111', exp: '12/30' }, items: [{ token: 'a', n: 1 }], password: 'p', ok: true };
    const out = redactBody(gzipSync(JSON.stringify(body)), { ...json, 'content-encoding': 'gzip' }, rules, false, 65536);
    expect(JSON.parse(out!.body.toString())).toEqual({
      card: { number: '[redacted]', exp: '12/30' },
      items: [{ token: '[redacted]', n: 1 }],
      password: '[redacted]',
      ok: true,
    });
  });

  it('redacts form bodies by field name', () => {
    const out = redactBody(
      Buffer.from('user=a&password=hunter2'),
      { 'content-type': 'application/x-www-form-urlencoded' },
      redactRules([]),
      false,
      65536,
    );
    expect(out!.body.toString()).toBe('user=a&password=%5Bredacted%5D');
  });

  it('hides the whole value under a secret key, arrays and objects too', () => {
    const body = { password: ['hunter2-arr'], apiKey: { v: 'AKIA-nested' }, ok: [1] };
    const out = redactBody(Buffer.from(JSON.stringify(body)), json, redactRules([]), false, 65536);
    expect(JSON.parse(out!.body.toString())).toEqual({ password: '[redacted]', apiKey: '[redacted]', ok: [1] });
  });

  it('refuses multipart bodies (their part names are not parsed)', () => {
    const body = '--b\r\ncontent-disposition: form-data; name="password"\r\n\r\nMULTIPART-SECRET\r\n--b--\r\n';
    const type = { 'content-type': 'multipart/form-data; boundary=b' };
    expect(redactBody(Buffer.from(body), type, redactRules([]), false, 65536)).toBeUndefined();
  });

  it('sniffs JSON in text/plain, and with body rules refuses what they cannot be checked in', () => {
    const plain = { 'content-type': 'text/plain' };
    const card = Buffer.from('{"card":{"number":"4000-TEXTPLAIN-CARD"},"password":"p"}');
    expect(JSON.parse(redactBody(card, plain, rules, false, 65536)!.body.toString())).toEqual({
      card: { number: '[redacted]' },
      password: '[redacted]',
    });
    expect(JSON.parse(redactBody(card, plain, redactRules([]), false, 65536)!.body.toString()).password).toBe('[redacted]');
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expect(redactBody(Buffer.from('card[number]=4000-FORM-CARD'), form, rules, false, 65536)).toBeUndefined();
    expect(redactBody(Buffer.from('just text'), plain, rules, false, 65536)).toBeUndefined();
    expect(redactBody(Buffer.from('{not json'), plain, redactRules([]), false, 65536)!.body.toString()).toBe('{not json');
  });

  it('refuses a truncated or unparseable JSON body (what it hides cannot be checked) and keeps plain text', () => {
    expect(redactBody(Buffer.from('{"password":"hun'), json, rules, true, 65536)).toBeUndefined();
    expect(redactBody(Buffer.from('{not json'), json, rules, false, 65536)).toBeUndefined();
    expect(redactBody(Buffer.from('hello'), { 'content-type': 'text/plain' }, redactRules([]), false, 65536)!.body.toString()).toBe(
      'hello',
    );
    // With body rules, a text body that was cut is refused too.
    expect(redactBody(Buffer.from('hel'), { 'content-type': 'text/plain' }, rules, true, 65536)).toBeUndefined();
  });
});
