// Builders for captured responses and pairs, shared by the compare tests.
import type { CapturedResponse, ComparePair, CompareRules } from '../../../src/compare/types.js';

export const RULES: CompareRules = { ignoreHeaders: [], ignoreBody: [], numericTolerance: 0, maxBody: 1 << 20 };

/** A captured response; `body` objects are JSON-encoded with a JSON content-type. */
export function resp(body: unknown, over: Partial<CapturedResponse> = {}): CapturedResponse {
  const isBuf = Buffer.isBuffer(body);
  const buf = isBuf ? body : typeof body === 'string' ? Buffer.from(body) : Buffer.from(JSON.stringify(body));
  const headers: Record<string, string> = isBuf || typeof body === 'string' ? {} : { 'content-type': 'application/json' };
  return { status: 200, headers, body: buf, truncated: false, bodyBytes: buf.length, latencyMs: 10, ...over };
}

/** A pair for GET `path`. */
export function pair(primary: CapturedResponse, candidate: CapturedResponse, path = '/users/1', routeTemplate?: string): ComparePair {
  return { route: 'r', shadow: 's', method: 'GET', path, routeTemplate, requestId: 'rid', traceId: undefined, at: 0, primary, candidate };
}
