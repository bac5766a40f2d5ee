/**
 * Compares one mirrored pair: the primary response (what the user got) against the shadow's (or a
 * noise reference's). Pure and synchronous; the caller runs it off the request path.
 *
 * Order of checks, each reported as its own field so reports read top-down:
 * 1. `error` — either side failed (status 0 or an error code): one `error` diff (none if both
 *    failed the same way), nothing else compared.
 * 2. `status` — a change is reported alone: headers and bodies of a 500 and a 200 differ
 *    everywhere, and those diffs would bury the one that matters (the status transition).
 * 3. `header:NAME` — see headers-diff.ts for the default ignores.
 * 4. body — see body-compare.ts (decoding, content classes, truncation).
 * `compared` always holds `error`, then `status`, headers and body fields when they were reached,
 * so every field's difference rate has a denominator. Never throws.
 */
import { compareBody } from './body-compare.js';
import { diffHeaders } from './headers-diff.js';
import { endpointOf } from './template.js';
import type { CapturedResponse, ComparePair, CompareRules, FieldDiff, PairDiff } from './types.js';
import { FL_NO_RESPONSE } from '../errors.js';

function failed(r: CapturedResponse): boolean {
  return r.status === 0 || r.error !== undefined;
}

/** What a side amounts to in the `error` field: its error code, or its status when it answered. */
function outcome(r: CapturedResponse): string {
  return failed(r) ? JSON.stringify(r.error ?? FL_NO_RESPONSE.code) : String(r.status);
}

/**
 * Compares a pair under a route's rules.
 * @example
 * comparePair(pair, { ignoreHeaders: [], ignoreBody: ['$.meta.ts'], numericTolerance: 0, maxBody: 262144 })
 * // { endpoint: 'GET /users/:id', fields: [{ field: 'body:$.name', kind: 'value', … }],
 * //   compared: ['error', 'status', 'header:content-type', 'body:$', 'body:$.name', …], latencyDeltaMs: 3, … }
 */
export function comparePair(pair: ComparePair, rules: CompareRules): PairDiff {
  const p = pair.primary;
  const c = pair.candidate;
  const base = {
    endpoint: endpointOf(pair.method, pair.path, pair.routeTemplate),
    primaryStatus: p.status,
    candidateStatus: c.status,
    latencyDeltaMs: c.latencyMs - p.latencyMs,
  };
  try {
    if (failed(p) || failed(c)) {
      const same = outcome(p) === outcome(c);
      return {
        ...base,
        fields: same ? [] : [{ field: 'error', kind: 'error', primary: outcome(p), candidate: outcome(c) }],
        compared: ['error'],
      };
    }
    const fields: FieldDiff[] = [];
    const compared = ['error', 'status'];
    if (p.status !== c.status) {
      fields.push({ field: 'status', kind: 'status', primary: String(p.status), candidate: String(c.status) });
      return { ...base, fields, compared };
    }
    const headers = diffHeaders(p.headers, c.headers, rules.ignoreHeaders);
    fields.push(...headers.fields);
    compared.push(...headers.compared);
    const body = compareBody(p, c, rules);
    fields.push(...body.fields);
    compared.push(...body.compared);
    return body.skipped === undefined ? { ...base, fields, compared } : { ...base, fields, compared, skipped: body.skipped };
  } catch {
    // A comparator bug must cost one pair, never the process; the skip is counted.
    return { ...base, fields: [], compared: [], skipped: 'internal-error' };
  }
}
