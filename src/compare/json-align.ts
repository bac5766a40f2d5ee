/**
 * Array alignment for the JSON diff: arrays of records are matched by an id-like key when both
 * sides carry one, so inserting, removing or reordering an element doesn't turn into a value diff
 * on every later index (Diffy's IndexedDifference noise).
 */
import type { IgnoreMatcher, IgnoreStates } from './json-path.js';

/** Keys tried first, in this order; then any key ending in `Id` or `_id` (first element's order). */
const PREFERRED = ['id', '_id', 'uuid', 'key', 'sku', 'name'];

type Rec = Record<string, unknown>;

function isRecord(v: unknown): v is Rec {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/**
 * An element's identity under `key`, typed so the id 1 and the id "1" are different elements.
 * @example idOf({ id: 1 }, 'id') // 'n1'
 */
export function idOf(el: unknown, key: string): string {
  const v = (el as Rec)[key];
  return typeof v === 'number' ? `n${v}` : `s${v as string}`;
}

function uniqueOn(arr: readonly unknown[], key: string): boolean {
  const seen = new Set<string>();
  for (const el of arr) {
    if (!Object.hasOwn(el as Rec, key)) return false;
    const v = (el as Rec)[key];
    if (typeof v !== 'string' && typeof v !== 'number') return false;
    const id = idOf(el, key);
    if (seen.has(id)) return false;
    seen.add(id);
  }
  return true;
}

/**
 * The key to align two arrays by: the first candidate present, scalar and unique in every element
 * on both sides; undefined (align by index) when an element isn't a record, a side is empty, or no
 * key qualifies. `usable` vetoes keys (an ignored `$.items[*].id` must not decide alignment). Pass
 * the same array twice to pick a key for one side alone (noise learning).
 * @example alignKey([{ sku: 'a' }, { sku: 'b' }], [{ sku: 'b' }, { sku: 'a' }]) // 'sku'
 */
export function alignKey(a: readonly unknown[], b: readonly unknown[], usable: (key: string) => boolean = () => true): string | undefined {
  if (a.length === 0 || b.length === 0) return undefined;
  for (const el of a) if (!isRecord(el)) return undefined;
  for (const el of b) if (!isRecord(el)) return undefined;
  const first = a[0] as Rec;
  const tried = new Set<string>();
  const candidates = [...PREFERRED];
  for (const k in first) if (Object.hasOwn(first, k) && (k.endsWith('Id') || k.endsWith('_id'))) candidates.push(k);
  for (const k of candidates) {
    if (tried.has(k)) continue;
    tried.add(k);
    if (uniqueOn(a, k) && (a === b || uniqueOn(b, k)) && usable(k)) return k;
  }
  return undefined;
}

/**
 * Keys an ignore rule leaves visible in the elements of an array at `st` (checked on element 0).
 * @example alignKey(a, b, usableKey(compileIgnore(['$.items[*].id']), states)) // never 'id'
 */
export function usableKey(ignore: IgnoreMatcher, st: IgnoreStates): (key: string) => boolean {
  if (st.length === 0) return () => true;
  const el = ignore.step(st, 0);
  return (key) => el !== undefined && ignore.step(el, key) !== undefined;
}
