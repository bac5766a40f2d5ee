import { describe, expect, it } from 'vitest';
import { clientResponseHeaders, upstreamRequestHeaders } from '../../../src/forward/headers.js';
import { classifyUpstreamError } from '../../../src/forward/classify.js';

const info = {
  host: 'shop',
  requestId: 'rid',
  route: 'r',
  arm: 'variant',
  forwardedFor: '1.1.1.1, 2.2.2.2',
  proto: 'http',
  forwardedHost: 'shop',
  via: undefined,
};
const pairs = (flat: string[]) => Object.fromEntries(flat.flatMap((v, i) => (i % 2 ? [] : [[v.toLowerCase(), flat[i + 1]]])));

describe('upstream request headers', () => {
  it('drops hop-by-hop fields and those named in Connection (RFC 9110 §7.6.1)', () => {
    const raw = [
      'Host',
      'shop',
      'Connection',
      'keep-alive, X-Hop',
      'X-Hop',
      '1',
      'Keep-Alive',
      '5',
      'TE',
      'trailers',
      'Transfer-Encoding',
      'chunked',
      'Upgrade',
      'h2c',
      'Proxy-Connection',
      'x',
      'Accept',
      '*/*',
    ];
    const out = pairs(upstreamRequestHeaders(raw, info));
    for (const h of ['connection', 'x-hop', 'keep-alive', 'te', 'transfer-encoding', 'upgrade', 'proxy-connection'])
      expect(out[h]).toBeUndefined();
    expect(out.accept).toBe('*/*');
  });
  it('drops the names of every Connection field; one request naming a field does not drop it from the next', () => {
    const raw = ['Connection', 'X-A', 'connection', ' x-B ,keep-alive', 'X-A', '1', 'X-B', '2', 'X-C', '3'];
    const out = pairs(upstreamRequestHeaders(raw, info));
    expect([out['x-a'], out['x-b'], out['x-c']]).toEqual([undefined, undefined, '3']);
    // The same first value again, alone: its parsed names are remembered, and were not widened by the union.
    const next = pairs(upstreamRequestHeaders(['Connection', 'X-A', 'X-A', '1', 'X-B', '2'], info));
    expect([next['x-a'], next['x-b']]).toEqual([undefined, '2']);
  });
  it('sets forwarding headers and the arm, overriding anything the client claimed', () => {
    const raw = [
      'X-Fieldlab-Arm',
      'evil',
      'Via',
      '1.0 edge',
      'X-Request-Id',
      'spoof',
      'Expect',
      '100-continue',
      'traceparent',
      '00-abc-def-01',
    ];
    const out = pairs(upstreamRequestHeaders(raw, { ...info, via: '1.0 edge' }));
    expect(out).toMatchObject({
      host: 'shop',
      'x-fieldlab-arm': 'variant',
      'x-fieldlab-route': 'r',
      'x-request-id': 'rid',
      via: '1.0 edge, 1.1 fieldlab',
      'x-forwarded-for': '1.1.1.1, 2.2.2.2',
      'x-forwarded-proto': 'http',
      'x-forwarded-host': 'shop',
      traceparent: '00-abc-def-01',
    });
    expect(out.expect).toBeUndefined();
  });
});

describe('client response headers', () => {
  it('drops hop-by-hop fields and those named in Connection, keeps the rest', () => {
    expect(
      clientResponseHeaders({
        connection: 'x-resp',
        'x-resp': '1',
        'keep-alive': 'timeout=5',
        'transfer-encoding': 'chunked',
        'set-cookie': ['a=1', 'b=2'],
        trailer: 'x-t',
      }),
    ).toEqual({ 'set-cookie': ['a=1', 'b=2'], trailer: 'x-t' });
  });
});

describe('classifyUpstreamError', () => {
  const c = (code: string) => classifyUpstreamError(Object.assign(new Error(code), { code }));
  it('maps undici and socket errors to coded statuses', () => {
    expect([c('ECONNREFUSED').def.status, c('ECONNREFUSED').connectFailure]).toEqual([502, true]);
    expect(c('UND_ERR_CONNECT_TIMEOUT').def.code).toBe('FL_UPSTREAM_CONNECT_TIMEOUT');
    expect(c('UND_ERR_HEADERS_TIMEOUT').def.status).toBe(504);
    expect(c('ECONNRESET').def.code).toBe('FL_UPSTREAM_RESET');
    expect(c('HPE_INVALID_CONSTANT').def.code).toBe('FL_UPSTREAM_PROTOCOL');
    expect(c('UND_ERR_REQ_CONTENT_LENGTH_MISMATCH').def.status).toBe(400);
    expect(c('WHATEVER').def.code).toBe('FL_INTERNAL');
  });
});
