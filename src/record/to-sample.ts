/**
 * A captured exchange turned into what may be stored: headers, query and bodies redacted
 * (redact-sample.ts), the unit hashed, bodies base64, and what the sample costs against the caps.
 * Runs in the recorder's timer, never on the request path.
 */
import { createHash } from 'node:crypto';
import type { CapturedResponse } from '../compare/types.js';
import type { RecordedSample } from '../storage/record-types.js';
import type { CompiledRecord } from './record-spec.js';
import { redactBody, redactHeaders, redactTarget } from './redact-sample.js';

/** One exchange as captured, before redaction (held in memory only until the next flush). */
export interface CapturedExchange {
  readonly route: string;
  readonly spec: CompiledRecord;
  readonly at: number;
  readonly requestId: string;
  readonly key: string;
  readonly bucket: number;
  readonly arm: string;
  readonly method: string;
  readonly target: string;
  /** Upstream request headers as forwarded (flat name, value list), host being the client's. */
  readonly headers: readonly string[];
  readonly requestBody: Buffer | null;
  readonly requestType: string | string[] | undefined;
  readonly requestEncoding: string | string[] | undefined;
  readonly response: CapturedResponse;
}

/** Decoded bytes a body may grow to: `maxBody` bounds what is captured (compressed), JSON compresses ~4×. */
const decodeCap = (maxBody: number) => Math.max(4 * maxBody, 256 * 1024);

/**
 * One exchange as it may be stored, or undefined when its request body cannot be made safe.
 * @example toSample(captured)?.requestHeaders // [['authorization', '[redacted]'], …]
 */
export function toSample(x: CapturedExchange): RecordedSample | undefined {
  const rules = x.spec.redact;
  let requestBody: string | null = null;
  if (x.requestBody) {
    const safe = redactBody(
      x.requestBody,
      {
        ...(x.requestType ? { 'content-type': x.requestType } : {}),
        ...(x.requestEncoding ? { 'content-encoding': x.requestEncoding } : {}),
      },
      rules,
      false,
      decodeCap(x.spec.maxBody),
    );
    if (!safe) return undefined;
    requestBody = safe.body.toString('base64');
  }
  const pairs: [string, string][] = [];
  for (let i = 0; i < x.headers.length; i += 2) {
    const name = x.headers[i]!.toLowerCase();
    // The body is stored decoded: its coding and length are the replay's to set.
    if (requestBody !== null && (name === 'content-length' || name === 'content-encoding')) continue;
    pairs.push([name, x.headers[i + 1]!]);
  }
  const res = x.response;
  const safe = redactBody(res.body, res.headers, rules, res.truncated, decodeCap(x.spec.maxBody));
  const responseHeaders: [string, string][] = [];
  for (const [k, v] of Object.entries(res.headers)) for (const one of Array.isArray(v) ? v : [v]) responseHeaders.push([k, one]);
  const requestHeaders = redactHeaders(pairs, rules);
  const responseBody = safe ? safe.body.toString('base64') : '';
  const headerBytes = JSON.stringify(requestHeaders).length + JSON.stringify(responseHeaders).length;
  return {
    route: x.route,
    at: x.at,
    requestId: x.requestId,
    unit: createHash('sha256').update(x.key).digest('base64url').slice(0, 16),
    bucket: x.bucket,
    arm: x.arm,
    method: x.method,
    target: redactTarget(x.target),
    requestHeaders,
    requestBody,
    status: res.status,
    responseHeaders: redactHeaders(responseHeaders, rules),
    responseBody,
    // A body that could not be stored safely counts as cut: replay reports it, never compares it.
    truncated: res.truncated || !safe,
    latencyMs: Math.round(res.latencyMs * 100) / 100,
    bytes: (requestBody?.length ?? 0) + responseBody.length + headerBytes + x.target.length,
  };
}
