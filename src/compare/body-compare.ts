/**
 * Body comparison for one pair: decode both sides, pick a comparator by content class, and never
 * report a difference that only truncation created.
 *
 * - Both JSON → structural diff (`body:$…`). One JSON, the other text/bytes → one `type` diff at
 *   `body:$`; the other empty → `removed`/`added` at `body:$`. JSON that doesn't parse (and isn't
 *   truncated) is compared as text.
 * - Truncated captures: a JSON prefix can't be parsed, so the body is not compared at all
 *   (`skipped: 'body-truncated'`) — no partial-JSON guessing, no spurious removals. Text and bytes
 *   compare the common prefix; lengths come from the wire byte counts when both sides are
 *   unencoded, or are known to differ when a complete side is shorter than the other's prefix.
 * - Undecodable sides: if exactly one complete side fails to decode, that is reported as a
 *   `content` diff at `body:bytes`; if both fail, their raw bytes are compared; otherwise skipped.
 */
import { diffBytes } from './bytes-diff.js';
import { contentClass, mediaType } from './content.js';
import { codingsOf, type Decoded } from './decode.js';
import { decodedOf, jsonOf } from './parsed.js';
import { diffJson } from './json-diff.js';
import { diffText } from './text-diff.js';
import type { CompareSkip } from '../mirror/skip-reasons.js';
import type { CapturedResponse, CompareRules, FieldDiff } from './types.js';

/** Result of {@link compareBody}. */
export interface BodyDiff {
  readonly fields: FieldDiff[];
  readonly compared: string[];
  readonly skipped?: CompareSkip;
}

/** A decoded side, classified. `partial-json` is a truncated body that looks like JSON. */
interface Side {
  readonly body: Buffer;
  readonly truncated: boolean;
  readonly cls: 'json' | 'text' | 'bytes' | 'empty' | 'partial-json';
  readonly json?: unknown;
  /** Wire length is the body length (no content-coding). */
  readonly identity: boolean;
  readonly bodyBytes: number;
}

function startsLikeJson(b: Buffer): boolean {
  let i = 0;
  while (i < b.length && (b[i] === 0x20 || b[i] === 0x0a || b[i] === 0x0d || b[i] === 0x09)) i++;
  return b[i] === 0x7b || b[i] === 0x5b;
}

function classify(r: CapturedResponse, d: Extract<Decoded, { ok: true }>, maxBody: number): Side {
  const truncated = r.truncated || d.cut;
  const common = { body: d.body, truncated, identity: codingsOf(r.headers['content-encoding']).length === 0, bodyBytes: r.bodyBytes };
  if (d.body.length === 0) return { ...common, cls: 'empty' };
  const ct = r.headers['content-type'];
  const cls = contentClass(ct, d.body);
  if (cls === 'json') {
    // A truncated capture has bytes after the cut, so it can never parse: don't pay a JSON.parse of
    // the whole cap (tens of ms for 256 KiB, on the proxy's loop) to learn that.
    if (truncated) return { ...common, cls: 'partial-json' };
    // Parsed once per capture: the same primary is compared with every shadow and shown in examples.
    const parsed = jsonOf(r, maxBody, true);
    return parsed ? { ...common, cls: 'json', json: parsed.value } : { ...common, cls: 'text' };
  }
  // An untyped prefix of a JSON body doesn't parse, so sniffing calls it text: don't believe it.
  if (truncated && mediaType(ct) === '' && startsLikeJson(d.body)) return { ...common, cls: 'partial-json' };
  return { ...common, cls };
}

/**
 * The candidate as JSON without parsing it, when its decoded bytes are the primary's (the common
 * case for a healthy shadow) and it classes as JSON too: the same bytes parse to the same value, so
 * the primary's parse is shared (both sides are only read).
 */
function sameJson(a: Side, c: CapturedResponse, dc: Extract<Decoded, { ok: true }>): Side | undefined {
  if (a.cls !== 'json' || c.truncated || dc.cut || !dc.body.equals(a.body)) return undefined;
  if (contentClass(c.headers['content-type'], dc.body) !== 'json') return undefined;
  const identity = codingsOf(c.headers['content-encoding']).length === 0;
  return { body: dc.body, truncated: false, identity, bodyBytes: c.bodyBytes, cls: 'json', json: a.json };
}

function undecodable(p: CapturedResponse, dp: Decoded, c: CapturedResponse, dc: Decoded): BodyDiff {
  if ((!dp.ok && dp.reason === 'too-large') || (!dc.ok && dc.reason === 'too-large'))
    return { fields: [], compared: [], skipped: 'decoded-too-large' };
  if (p.truncated || c.truncated) return { fields: [], compared: [], skipped: 'body-undecodable' };
  if (!dp.ok && !dc.ok) return { fields: diffBytes(p.body, c.body, [p.body.length, c.body.length]), compared: ['body:bytes'] };
  const say = (d: Decoded): string => JSON.stringify(d.ok ? 'decoded' : `undecodable ${d.encoding}: ${d.reason}`);
  return { fields: [{ field: 'body:bytes', kind: 'content', primary: say(dp), candidate: say(dc) }], compared: ['body:bytes'] };
}

/** Byte lengths to compare, or undefined when truncation makes them unknowable. */
function lengthsOf(a: Side, b: Side): readonly [number, number] | undefined {
  if (!a.truncated && !b.truncated) return [a.body.length, b.body.length];
  if (a.identity && b.identity) return [a.bodyBytes, b.bodyBytes];
  return undefined;
}

/** Text or bytes, comparing only the common prefix when a side is truncated. */
function diffFlat(a: Side, b: Side): BodyDiff {
  const text = (a.cls === 'text' || a.cls === 'empty') && (b.cls === 'text' || b.cls === 'empty');
  const field = text ? 'body:text' : 'body:bytes';
  let pa = a.body;
  let pb = b.body;
  let lengths = lengthsOf(a, b);
  if (a.truncated || b.truncated) {
    const n = Math.min(pa.length, pb.length);
    // A complete side shorter than the other's prefix: the lengths differ even if unknown.
    if (lengths === undefined && ((!a.truncated && pb.length > pa.length) || (!b.truncated && pa.length > pb.length))) {
      lengths = [a.truncated ? Infinity : pa.length, b.truncated ? Infinity : pb.length];
    }
    pa = pa.subarray(0, n);
    pb = pb.subarray(0, n);
  }
  const fields = text ? diffText(pa, pb, lengths) : diffBytes(pa, pb, lengths);
  const atLeast = (s: Side): string => (s.truncated ? JSON.stringify(`>=${s.body.length}`) : String(s.body.length));
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i]!;
    if (f.kind === 'length' && lengths?.includes(Infinity)) fields[i] = { ...f, primary: atLeast(a), candidate: atLeast(b) };
  }
  return { fields, compared: [field] };
}

/**
 * Compares the bodies of a pair (statuses equal, neither side failed).
 * @example compareBody(primary, candidate, rules) // { fields: [{ field: 'body:$.total', kind: 'value', … }], compared: ['body:$', …] }
 */
export function compareBody(p: CapturedResponse, c: CapturedResponse, rules: CompareRules): BodyDiff {
  const dp = decodedOf(p, rules.maxBody);
  const dc = decodedOf(c, rules.maxBody);
  if (!dp.ok || !dc.ok) return undecodable(p, dp, c, dc);
  const a = classify(p, dp, rules.maxBody);
  const b = sameJson(a, c, dc) ?? classify(c, dc, rules.maxBody);
  if (a.cls === 'empty' && b.cls === 'empty') return { fields: [], compared: [] };
  if (a.cls === 'partial-json' || b.cls === 'partial-json') return { fields: [], compared: [], skipped: 'body-truncated' };
  if (a.cls === 'json' && b.cls === 'json') {
    const d = diffJson(a.json, b.json, rules);
    return { fields: d.fields.map((f) => ({ ...f, field: `body:${f.field}` })), compared: d.compared.map((f) => `body:${f}`) };
  }
  if (a.cls === 'json' || b.cls === 'json') {
    const field = 'body:$';
    if (a.cls === 'empty') return { fields: [{ field, kind: 'added', candidate: '"json"' }], compared: [field] };
    if (b.cls === 'empty') return { fields: [{ field, kind: 'removed', primary: '"json"' }], compared: [field] };
    return { fields: [{ field, kind: 'type', primary: JSON.stringify(a.cls), candidate: JSON.stringify(b.cls) }], compared: [field] };
  }
  return diffFlat(a, b);
}
