// Upstream error → registry code: parser errors without a code, header overflow and local resource
// exhaustion are coded, never FL_INTERNAL.
import { describe, expect, it } from 'vitest';
import { bodilessLengthMismatch, classifyUpstreamError } from '../../../src/forward/classify.js';

const err = (props: Record<string, unknown>) => Object.assign(new Error('x'), props);

describe('classifyUpstreamError', () => {
  it.each([
    [err({ name: 'HTTPParserError', code: undefined }), 'FL_UPSTREAM_PROTOCOL'],
    [err({ code: 'UND_ERR_HEADERS_OVERFLOW' }), 'FL_UPSTREAM_PROTOCOL'],
    [err({ code: 'HPE_INVALID_CONSTANT' }), 'FL_UPSTREAM_PROTOCOL'],
    [Object.assign(new Error('bad response'), { code: 'UND_ERR_SOCKET' }), 'FL_UPSTREAM_PROTOCOL'],
    [Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }), 'FL_UPSTREAM_RESET'],
    [err({ code: 'EMFILE', syscall: 'connect' }), 'FL_LOCAL_RESOURCES'],
    [err({ code: 'ENFILE', syscall: 'connect' }), 'FL_LOCAL_RESOURCES'],
  ])('classifies %o as %s', (e, code) => {
    const c = classifyUpstreamError(e);
    expect(c.def.code).toBe(code);
    expect(c.def.status).not.toBe(500);
  });

  it('treats a length mismatch on 204/304 as complete, and on 200 as a failure', () => {
    const mismatch = err({ code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' });
    expect(bodilessLengthMismatch(mismatch, 304)).toBe(true);
    expect(bodilessLengthMismatch(mismatch, 204)).toBe(true);
    expect(bodilessLengthMismatch(mismatch, 200)).toBe(false);
  });
});
