/**
 * Structural JSON diff of a primary and a shadow body, reported per folded field path
 * (`$.cart.items[*].price`) with kinds added / removed / type / value / order.
 *
 * - Numbers are equal within `numericTolerance` (relative to the larger magnitude).
 * - Arrays of records align by an id-like key (json-align.ts), else by index. A reordering is one
 *   `order` diff at the array path: by id, the shared ids in a different sequence (element fields
 *   are still compared pairwise); by index, the same multiset of elements in another order (then
 *   nothing below the array is reported).
 * - Each (path, kind) is reported once per pair: the first example wins, so 500 changed prices
 *   are one `$.items[*].price` value diff.
 * - `compared` lists every folded path looked at — leaves and containers, since added/removed/
 *   type/order are reported at container paths and need a denominator too. An added or removed
 *   subtree contributes only its top path. Ignored paths appear in neither list.
 * - Bounded: depth (64; deeper subtrees compare as canonical text), diffs (200) and distinct
 *   compared paths (2000); hitting a cap sets `capped`. Never throws.
 */
import { alignKey, idOf, usableKey } from './json-align.js';
import { compileIgnore, indexPath, keyPath, type IgnoreMatcher, type IgnoreStates } from './json-path.js';
import { renderJson } from './render.js';
import type { CompareRules, DiffKind, FieldDiff } from './types.js';

/** The rules the JSON diff reads. */
export type JsonRules = Pick<CompareRules, 'ignoreBody' | 'numericTolerance'>;

/** Caps; defaults suit bodies up to a few MB. */
export interface JsonDiffOptions {
  readonly maxDepth?: number;
  readonly maxDiffs?: number;
  readonly maxPaths?: number;
}

/** Result of {@link diffJson}. Fields are named by bare JSON path (`$.a`); callers add `body:`. */
export interface JsonDiff {
  readonly fields: FieldDiff[];
  readonly compared: string[];
  /** True when a cap cut the walk short (some differences may be unreported). */
  readonly capped: boolean;
}

type Rec = Record<string, unknown>;

/**
 * JSON type names, as `type` diffs distinguish them.
 * @example jsonType(null) // 'null'
 * @example jsonType([1]) // 'array'
 */
export function jsonType(v: unknown): string {
  return v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v;
}

/** Recursion guard for canonical text, far below V8's stack limit. */
const CANON_DEPTH = 512;

class JsonWalker {
  readonly fields: FieldDiff[] = [];
  readonly #reported = new Set<string>();
  readonly #compared = new Set<string>();
  readonly #canon = new Map<object, string>();
  capped = false;

  constructor(
    readonly ignore: IgnoreMatcher,
    readonly tolerance: number,
    readonly maxDepth: number,
    readonly maxDiffs: number,
    readonly maxPaths: number,
  ) {}

  get compared(): string[] {
    return [...this.#compared];
  }

  /** Records `path` as compared; false when the path cap is hit (the caller then skips it). */
  track(path: string): boolean {
    if (this.#compared.has(path)) return true;
    if (this.#compared.size >= this.maxPaths) return !(this.capped = true);
    this.#compared.add(path);
    return true;
  }

  report(field: string, kind: DiffKind, primary: unknown, candidate: unknown, has: 'both' | 'primary' | 'candidate' = 'both'): void {
    const sig = `${kind}\u0000${field}`;
    if (this.#reported.has(sig)) return;
    if (this.fields.length >= this.maxDiffs) return void (this.capped = true);
    this.#reported.add(sig);
    const d: { field: string; kind: DiffKind; primary?: string; candidate?: string } = { field, kind };
    if (has !== 'candidate') d.primary = renderJson(primary);
    if (has !== 'primary') d.candidate = renderJson(candidate);
    this.fields.push(d);
  }

  walk(a: unknown, b: unknown, path: string, st: IgnoreStates, depth: number): void {
    if (!this.track(path)) return;
    const ta = jsonType(a);
    if (ta !== jsonType(b)) return this.report(path, 'type', a, b);
    if (ta === 'number') {
      if (!this.#numEqual(a as number, b as number)) this.report(path, 'value', a, b);
      return;
    }
    if (ta !== 'object' && ta !== 'array') {
      if (a !== b) this.report(path, 'value', a, b);
      return;
    }
    if (depth >= this.maxDepth) {
      this.capped = true;
      if (this.canon(a, st, depth) !== this.canon(b, st, depth)) this.report(path, 'value', a, b);
      return;
    }
    if (ta === 'array') return this.#walkArray(a as unknown[], b as unknown[], path, st, depth);
    const ra = a as Rec;
    const rb = b as Rec;
    for (const k in ra) {
      if (!Object.hasOwn(ra, k)) continue;
      const next = this.ignore.step(st, k);
      if (next === undefined) continue;
      const p = keyPath(path, k);
      if (Object.hasOwn(rb, k)) this.walk(ra[k], rb[k], p, next, depth + 1);
      else if (this.track(p)) this.report(p, 'removed', ra[k], undefined, 'primary');
    }
    for (const k in rb) {
      if (!Object.hasOwn(rb, k) || Object.hasOwn(ra, k)) continue;
      if (this.ignore.step(st, k) === undefined) continue;
      const p = keyPath(path, k);
      if (this.track(p)) this.report(p, 'added', undefined, rb[k], 'candidate');
    }
  }

  #numEqual(a: number, b: number): boolean {
    return a === b || (this.tolerance > 0 && Math.abs(a - b) <= this.tolerance * Math.max(Math.abs(a), Math.abs(b)));
  }

  #walkArray(a: unknown[], b: unknown[], path: string, st: IgnoreStates, depth: number): void {
    const el = indexPath(path);
    // One array on both sides (identical bodies share one parse): aligning by id pairs every
    // element with itself and nothing is reordered, so the index walk below is the same walk.
    if (a === b) {
      for (let i = 0; i < a.length; i++) {
        const next = this.ignore.step(st, i);
        if (next !== undefined) this.walk(a[i], a[i], el, next, depth + 1);
      }
      return;
    }
    const key = alignKey(a, b, usableKey(this.ignore, st));
    if (key !== undefined) return this.#walkById(a, b, key, path, st, depth);
    if (a.length === b.length && a.length >= 2 && this.#isPermutation(a, b, st, depth)) {
      this.report(path, 'order', a, b);
      return this.#collect(a, path, st, depth);
    }
    const n = Math.min(a.length, b.length);
    for (let i = 0; i < n; i++) {
      const next = this.ignore.step(st, i);
      if (next !== undefined) this.walk(a[i], b[i], el, next, depth + 1);
    }
    for (let i = n; i < a.length; i++) {
      if (this.ignore.step(st, i) !== undefined && this.track(el)) this.report(el, 'removed', a[i], undefined, 'primary');
    }
    for (let i = n; i < b.length; i++) {
      if (this.ignore.step(st, i) !== undefined && this.track(el)) this.report(el, 'added', undefined, b[i], 'candidate');
    }
  }

  #walkById(a: unknown[], b: unknown[], key: string, path: string, st: IgnoreStates, depth: number): void {
    const el = indexPath(path);
    const inB = new Map<string, number>();
    b.forEach((v, j) => inB.set(idOf(v, key), j));
    const inA = new Set(a.map((v) => idOf(v, key)));
    const seqA = a.filter((v) => inB.has(idOf(v, key)));
    const seqB = b.filter((v) => inA.has(idOf(v, key)));
    if (seqA.some((v, i) => idOf(v, key) !== idOf(seqB[i], key))) {
      this.report(
        path,
        'order',
        seqA.map((v) => (v as Rec)[key]),
        seqB.map((v) => (v as Rec)[key]),
      );
    }
    a.forEach((v, i) => {
      const next = this.ignore.step(st, i);
      if (next === undefined) return;
      const j = inB.get(idOf(v, key));
      if (j !== undefined) this.walk(v, b[j], el, next, depth + 1);
      else if (this.track(el)) this.report(el, 'removed', v, undefined, 'primary');
    });
    b.forEach((v, j) => {
      if (inA.has(idOf(v, key)) || this.ignore.step(st, j) === undefined) return;
      if (this.track(el)) this.report(el, 'added', undefined, v, 'candidate');
    });
  }

  /** Same elements, different positions (by canonical text, ignored fields left out)? */
  #isPermutation(a: unknown[], b: unknown[], st: IgnoreStates, depth: number): boolean {
    const ca = a.map((v, i) => this.#canonAt(v, st, i, depth));
    const cb = b.map((v, i) => this.#canonAt(v, st, i, depth));
    if (ca.every((c, i) => c === cb[i])) return false;
    ca.sort();
    cb.sort();
    return ca.every((c, i) => c === cb[i]);
  }

  #canonAt(v: unknown, st: IgnoreStates, i: number, depth: number): string {
    const next = this.ignore.step(st, i);
    return next === undefined ? '' : this.canon(v, next, depth + 1);
  }

  /** Key-order-independent JSON text of `v` without ignored fields; cached per object. */
  canon(v: unknown, st: IgnoreStates, depth: number): string {
    if (typeof v !== 'object' || v === null) return JSON.stringify(v) ?? 'null';
    const hit = this.#canon.get(v);
    if (hit !== undefined) return hit;
    let out: string;
    if (depth >= CANON_DEPTH) {
      this.capped = true;
      out = '…';
    } else if (Array.isArray(v)) {
      out = `[${v.map((x, i) => this.#canonAt(x, st, i, depth)).join(',')}]`;
    } else {
      const parts: string[] = [];
      for (const k of Object.keys(v).sort()) {
        const next = this.ignore.step(st, k);
        if (next !== undefined) parts.push(`${JSON.stringify(k)}:${this.canon((v as Rec)[k], next, depth + 1)}`);
      }
      out = `{${parts.join(',')}}`;
    }
    this.#canon.set(v, out);
    return out;
  }

  /** Records the paths under `v` as compared (after an order-only match, nothing else to report). */
  #collect(v: unknown, path: string, st: IgnoreStates, depth: number): void {
    if (!this.track(path) || typeof v !== 'object' || v === null || depth >= this.maxDepth) return;
    if (Array.isArray(v)) {
      v.forEach((x, i) => {
        const next = this.ignore.step(st, i);
        if (next !== undefined) this.#collect(x, indexPath(path), next, depth + 1);
      });
      return;
    }
    for (const k of Object.keys(v)) {
      const next = this.ignore.step(st, k);
      if (next !== undefined) this.#collect((v as Rec)[k], keyPath(path, k), next, depth + 1);
    }
  }
}

/**
 * Diffs two parsed JSON values. Paths in the result are bare (`$.items[*].price`).
 * @example diffJson({ a: 1, b: [1, 2] }, { a: 2, b: [2, 1] }, { ignoreBody: [], numericTolerance: 0 })
 * // fields: [{ field: '$.a', kind: 'value', primary: '1', candidate: '2' }, { field: '$.b', kind: 'order', … }]
 * // compared: ['$', '$.a', '$.b', '$.b[*]']
 */
export function diffJson(a: unknown, b: unknown, rules: JsonRules, opts: JsonDiffOptions = {}): JsonDiff {
  const ignore = compileIgnore(rules.ignoreBody);
  const w = new JsonWalker(ignore, rules.numericTolerance, opts.maxDepth ?? 64, opts.maxDiffs ?? 200, opts.maxPaths ?? 2000);
  if (ignore.root === undefined) return { fields: [], compared: [], capped: false };
  try {
    w.walk(a, b, '$', ignore.root, 0);
  } catch {
    // Only a pathological body can get here (e.g. a stack overflow); keep what was found.
    w.capped = true;
  }
  return { fields: w.fields, compared: w.compared, capped: w.capped };
}
