/**
 * Flattens a JSON body into compact per-node fingerprints, so two responses can be compared
 * later without keeping either body: the repeat-noise learner stores these for the last primary
 * response per URL. Every node (leaf or container) gets an entry keyed by a concrete path, carrying
 * its folded field name (the same name diffJson reports), its parent's key (to skip the subtree of
 * an added, removed or retyped node, as diffJson does) and a short value: numbers as themselves
 * (so numeric tolerance still applies), everything else as a type tag plus a 32-bit FNV-1a hash.
 * Arrays also carry an order-insensitive hash so a pure reordering is recognised as one `order`.
 */
import { alignKey, idOf, usableKey } from './json-align.js';
import { compileIgnore, indexPath, keyPath, type IgnoreMatcher, type IgnoreStates } from './json-path.js';
import type { JsonRules } from './json-diff.js';

/** One node's fingerprint. */
export interface Leaf {
  /** Folded field path, e.g. `$.items[*].price`. */
  readonly path: string;
  /** Concrete key of the parent node; undefined at `$`. */
  readonly parent: string | undefined;
  /**
   * A number for numbers; otherwise a tag and hash: `n` null, `t`/`f`, `"<hash>` strings, `{` objects,
   * `[i<seq>` arrays aligned by index, `[k<seq>` arrays aligned by an id key (seq = ids in order),
   * `~<hash>` containers below the depth cap (their whole subtree).
   */
  readonly value: number | string;
  /** Arrays only: order-insensitive hash of the elements (or of the ids). */
  readonly set?: string;
}

/** A flattened body. */
export interface Leaves {
  /** Concrete path → fingerprint, in document order (parents before children). */
  readonly map: ReadonlyMap<string, Leaf>;
  /** The leaf cap was hit: later nodes are missing, so only shared keys may be compared. */
  readonly capped: boolean;
  /** The rules' numeric tolerance, kept so a later comparison applies the same one. */
  readonly tolerance: number;
}

/** Caps for {@link flattenLeaves}. */
export interface FlattenOptions {
  /** Most entries kept (default 512): bounds the learner's memory per URL. */
  readonly maxLeaves?: number;
  /** Nodes deeper than this are folded into their ancestor's hash (default 64). */
  readonly maxDepth?: number;
}

function fnv(s: string, h = 0x811c9dc5): number {
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Mixes two hashes, order-sensitively. */
function mix(h: number, x: number): number {
  return Math.imul(h ^ x, 0x01000193) >>> 0;
}

const HASH_DEPTH = 512;

class Flattener {
  readonly map = new Map<string, Leaf>();
  capped = false;
  constructor(
    readonly ignore: IgnoreMatcher,
    readonly maxLeaves: number,
    readonly maxDepth: number,
  ) {}

  #emit(key: string, leaf: Leaf): void {
    if (this.map.size >= this.maxLeaves) this.capped = true;
    else this.map.set(key, leaf);
  }

  /** Visits `v`, emitting entries while `emit`, and returns its 32-bit hash. */
  visit(v: unknown, key: string, path: string, parent: string | undefined, st: IgnoreStates, depth: number, emit: boolean): number {
    if (depth > HASH_DEPTH) return 0;
    if (typeof v === 'number') {
      if (emit) this.#emit(key, { path, parent, value: v });
      return fnv(`#${v}`);
    }
    if (typeof v !== 'object' || v === null) {
      const tag = v === null ? 'n' : v === true ? 't' : v === false ? 'f' : '"';
      const h = tag === '"' ? fnv(String(v), fnv('"')) : fnv(tag);
      if (emit) this.#emit(key, { path, parent, value: tag === '"' ? `"${h.toString(36)}` : tag });
      return h;
    }
    if (emit && depth >= this.maxDepth) {
      // Too deep to list: one entry whose hash covers the whole subtree (diffJson compares it as text).
      const h = this.visit(v, key, path, parent, st, depth, false);
      this.#emit(key, { path, parent, value: `~${h.toString(36)}` });
      return h;
    }
    if (Array.isArray(v)) {
      const id = alignKey(v, v, usableKey(this.ignore, st));
      const el = indexPath(path);
      let seq = fnv(id === undefined ? '[i' : '[k');
      let set = 0;
      // Reserve the array's slot before its children so parents stay ahead in document order.
      if (emit) this.#emit(key, { path, parent, value: '' });
      v.forEach((x, i) => {
        const next = this.ignore.step(st, i);
        if (next === undefined) return;
        const childKey = id === undefined ? `${key}[${i}]` : `${key}[${JSON.stringify(idOf(x, id))}]`;
        const h = this.visit(x, childKey, el, key, next, depth + 1, emit);
        const item = id === undefined ? h : fnv(idOf(x, id));
        seq = mix(seq, item);
        set = (set + Math.imul(item, 0x9e3779b1)) >>> 0;
      });
      if (emit && this.map.has(key)) {
        this.map.set(key, { path, parent, value: `${id === undefined ? '[i' : '[k'}${seq.toString(36)}`, set: set.toString(36) });
      }
      return mix(seq, set);
    }
    if (emit) this.#emit(key, { path, parent, value: '{' });
    let sum = 0;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      const next = this.ignore.step(st, k);
      if (next === undefined) continue;
      const ch = this.visit((v as Record<string, unknown>)[k], `${key}.${JSON.stringify(k)}`, keyPath(path, k), key, next, depth + 1, emit);
      sum = (sum + mix(fnv(k), ch)) >>> 0; // key order doesn't matter in JSON objects
    }
    return mix(fnv('{'), sum);
  }
}

/**
 * Flattens a parsed JSON body under the same ignore rules and path folding as diffJson.
 * @example flattenLeaves({ ts: 5, items: [{ id: 1 }] }, rules).map
 * // '$' → { path: '$', value: '{' }, '$."ts"' → { path: '$.ts', value: 5 },
 * // '$."items"' → { path: '$.items', value: '[k…', set: '…' }, '$."items"["n1"]' → { path: '$.items[*]', … }, …
 */
export function flattenLeaves(json: unknown, rules: JsonRules, opts: FlattenOptions = {}): Leaves {
  const ignore = compileIgnore(rules.ignoreBody);
  const f = new Flattener(ignore, opts.maxLeaves ?? 512, opts.maxDepth ?? 64);
  if (ignore.root !== undefined) {
    try {
      f.visit(json, '$', '$', undefined, ignore.root, 0, true);
    } catch {
      f.capped = true;
    }
  }
  return { map: f.map, capped: f.capped, tolerance: rules.numericTolerance };
}
