/**
 * Each captured body decoded and JSON-parsed at most once. One primary answer is compared against every
 * shadow of its route, taught to the repeat-noise learner and rendered into examples; each of those used
 * to decode (and inflate) and parse it again, up to four times per body. The results hang off the
 * capture itself (a WeakMap, so they go when the pair does) and are keyed by the cap they were made
 * under. Parsed values are shared: every consumer only reads them (redaction builds a copy).
 */
import type { CapturedResponse } from './types.js';
import { contentClass } from './content.js';
import { decodeBody, type Decoded } from './decode.js';

interface Memo {
  readonly maxBody: number;
  readonly decoded: Decoded;
  /** undefined: not tried yet; null: not JSON (or not complete, or does not parse). */
  json?: { readonly value: unknown } | null;
}

const memos = new WeakMap<CapturedResponse, Memo>();

function memoOf(res: CapturedResponse, maxBody: number): Memo {
  const m = memos.get(res);
  if (m && m.maxBody === maxBody) return m;
  const fresh: Memo = { maxBody, decoded: decodeBody(res.body, res.headers, { maxBody, truncated: res.truncated }) };
  memos.set(res, fresh);
  return fresh;
}

/**
 * The capture's body decoded under `maxBody`, computed once.
 * @example const d = decodedOf(pair.primary, rules.maxBody); if (d.ok) d.body
 */
export function decodedOf(res: CapturedResponse, maxBody: number): Decoded {
  return memoOf(res, maxBody).decoded;
}

/**
 * The capture's body as parsed JSON, or undefined when it is truncated, undecodable, not JSON by its
 * content class, or does not parse; computed once. `classedJson`: the caller already found its content
 * class to be JSON (skips sniffing an untyped body a second time).
 * @example const json = jsonOf(pair.primary, rules.maxBody)
 */
export function jsonOf(res: CapturedResponse, maxBody: number, classedJson = false): { readonly value: unknown } | undefined {
  const m = memoOf(res, maxBody);
  if (m.json === undefined) m.json = parse(res, m.decoded, classedJson);
  return m.json ?? undefined;
}

function parse(res: CapturedResponse, d: Decoded, classedJson: boolean): { readonly value: unknown } | null {
  if (res.truncated || !d.ok) return null;
  if (!classedJson && contentClass(res.headers['content-type'], d.body) !== 'json') return null;
  try {
    return { value: JSON.parse(d.body.toString('utf8')) as unknown };
  } catch {
    return null;
  }
}
