// The replayed pair: the recorded answer re-encoded as it was sent, the candidate redacted like the
// recording, headers as plain data (a header named __proto__ is just a header).
import { gunzipSync, gzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { redactRules } from '../../../src/record/redact-sample.js';
import { headerObject, recordedResponse, redactCandidate } from '../../../src/replay/replay-pair.js';
import type { StoredSample } from '../../../src/storage/record-types.js';

describe('replay-pair', () => {
  it('keeps repeated headers as arrays and odd names as data', () => {
    const h = headerObject([
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['__proto__', 'x'],
      ['constructor', 'y'],
    ]);
    expect(h['set-cookie']).toEqual(['a=1', 'b=2']);
    expect(Object.getOwnPropertyDescriptor(h, '__proto__')?.value).toBe('x');
    expect(h.constructor).toBe('y');
    expect(Object.keys(h)).toEqual(['set-cookie', '__proto__', 'constructor']);
  });

  it('re-applies the recorded Content-Encoding to the stored (decoded) body', () => {
    const s = {
      status: 200,
      responseHeaders: [
        ['content-type', 'application/json'],
        ['content-encoding', 'gzip'],
      ],
      responseBody: Buffer.from('{"a":1}').toString('base64'),
      truncated: false,
      latencyMs: 2,
    } as unknown as StoredSample;
    const r = recordedResponse(s);
    expect(gunzipSync(r.body).toString()).toBe('{"a":1}');
  });

  it('redacts the candidate by the same rules, so a redacted field compares equal', () => {
    const res = redactCandidate(
      {
        status: 200,
        headers: { 'content-type': 'application/json', 'content-encoding': 'gzip', 'set-cookie': 'sid=zzz' },
        body: gzipSync('{"token":"t2","n":1}'),
        truncated: false,
        bodyBytes: 20,
        latencyMs: 1,
      },
      redactRules(['header:set-cookie']),
      65536,
    );
    expect(JSON.parse(gunzipSync(res.body).toString())).toEqual({ token: '[redacted]', n: 1 });
    expect(res.headers['set-cookie']).toBe('sid=[redacted]');
  });
});
