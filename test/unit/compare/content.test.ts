import { describe, expect, it } from 'vitest';
import { contentClass, mediaType } from '../../../src/compare/content.js';

const b = (s: string) => Buffer.from(s);

describe('contentClass', () => {
  it('follows the content type', () => {
    expect(contentClass('application/json; charset=utf-8', b('{}'))).toBe('json');
    expect(contentClass('application/problem+json', b('{}'))).toBe('json');
    expect(contentClass('Application/JSON', b('x'))).toBe('json'); // declared: the parser decides later
    for (const t of [
      'text/html',
      'text/plain; charset=utf-8',
      'application/xml',
      'application/atom+xml',
      'application/x-www-form-urlencoded',
    ]) {
      expect(contentClass(t, b('{"a":1}')), t).toBe('text');
    }
    expect(contentClass('image/png', b('{"a":1}'))).toBe('bytes');
    expect(contentClass('application/octet-stream', b('hello'))).toBe('bytes');
  });
  it('sniffs when there is no content type', () => {
    expect(contentClass(undefined, b(' [1, 2] '))).toBe('json');
    expect(contentClass(undefined, b('{"a": '))).toBe('text');
    expect(contentClass(undefined, b('42'))).toBe('text');
    expect(contentClass(undefined, b('héllo\nworld'))).toBe('text');
    expect(contentClass(undefined, Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1]))).toBe('bytes');
    expect(contentClass(undefined, Buffer.from([0xc3]))).toBe('bytes'); // invalid UTF-8
  });
  it('parses media types', () => {
    expect(mediaType(['text/html; q=1', 'x'])).toBe('text/html');
    expect(mediaType(undefined)).toBe('');
  });
});
