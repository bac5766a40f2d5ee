/**
 * Turns a recorded sample and the candidate's answer into the pair the shadow-diff engine compares:
 * the recorded answer is the primary (its body stored decoded and redacted, re-encoded with its
 * recorded Content-Encoding so both sides reach the comparators the way live pairs do), and the
 * candidate's answer is redacted by the same rules first, so a redacted field compares equal
 * instead of differing on every pair.
 */
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { codingsOf } from '../compare/decode.js';
import type { CapturedResponse, ComparePair } from '../compare/types.js';
import { redactBody, redactHeaders, type RedactRules } from '../record/redact-sample.js';
import type { StoredSample } from '../storage/record-types.js';

type Headers = Record<string, string | string[]>;

/**
 * Header pairs as a capture's header object (repeated names become arrays).
 * @example headerObject([['set-cookie', 'a=1'], ['set-cookie', 'b=2']]) // { 'set-cookie': ['a=1', 'b=2'] }
 */
export function headerObject(pairs: readonly (readonly [string, string])[]): Headers {
  // Null prototype: a header named __proto__ or constructor is a header, not an object's plumbing.
  const out: Headers = Object.create(null) as Headers;
  for (const [k, v] of pairs) {
    const seen = out[k];
    out[k] = seen === undefined ? v : Array.isArray(seen) ? [...seen, v] : [seen, v];
  }
  return out;
}

const ENCODERS: Readonly<Record<string, (b: Buffer) => Buffer>> = {
  gzip: gzipSync,
  'x-gzip': gzipSync,
  deflate: deflateSync,
  br: brotliCompressSync,
};

/** `body` encoded with `content-encoding`'s codings in the order they were applied (unknown ones: as is). */
function encodeAs(body: Buffer, headers: Headers): Buffer {
  let out = body;
  for (const c of codingsOf(headers['content-encoding'])) out = ENCODERS[c]?.(out) ?? out;
  return out;
}

/**
 * The recorded answer as a captured primary response.
 * @example recordedResponse(sample).status // 200
 */
export function recordedResponse(s: StoredSample): CapturedResponse {
  const headers = headerObject(s.responseHeaders);
  const body = Buffer.from(s.responseBody, 'base64');
  return {
    status: s.status,
    headers,
    body: body.length > 0 ? encodeAs(body, headers) : body,
    truncated: s.truncated,
    bodyBytes: body.length,
    latencyMs: s.latencyMs,
  };
}

/**
 * The candidate's answer redacted like the recording was (a failure passes through unchanged).
 * @example redactCandidate(captured, rules, 65536).headers['set-cookie'] // 'sid=[redacted]'
 */
export function redactCandidate(res: CapturedResponse, rules: RedactRules, maxBody: number): CapturedResponse {
  if (res.error !== undefined) return res;
  const pairs: [string, string][] = [];
  for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : [v]) pairs.push([k, one]);
  const headers = headerObject(redactHeaders(pairs, rules));
  const safe = redactBody(res.body, res.headers, rules, res.truncated, maxBody);
  if (!safe) return { ...res, headers, body: Buffer.alloc(0), truncated: true };
  return { ...res, headers, body: safe.body.length > 0 ? encodeAs(safe.body, headers) : safe.body };
}

/**
 * The pair for the compare pipeline.
 * @example pipeline.pair(replayPair(sample, 'http://staging:8080', candidate, rules, 65536, undefined), shadow, 'shadow')
 */
export function replayPair(
  s: StoredSample,
  shadow: string,
  candidate: CapturedResponse,
  rules: RedactRules,
  maxBody: number,
  routeTemplate: string | undefined,
): ComparePair {
  const q = s.target.indexOf('?');
  return {
    route: s.route,
    shadow,
    method: s.method,
    path: q === -1 ? s.target : s.target.slice(0, q),
    routeTemplate,
    requestId: s.requestId,
    traceId: undefined,
    at: s.at,
    primary: recordedResponse(s),
    candidate: redactCandidate(candidate, rules, maxBody),
  };
}
