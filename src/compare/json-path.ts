/**
 * JSON field paths: how a field is named in reports and how ignore rules match it.
 *
 * Names are folded so one field has one signature across elements and records: array indices
 * become `[*]`, and object keys that look like ids (`"123"`, a UUID, a date — see `paramOf`) become
 * `.*`, so a map keyed by user id doesn't mint a field per user. Other keys render as `.name` when
 * identifier-like, else `['a.b']`.
 *
 * Ignore rules (`$.meta.ts`, `$.items[*].id`, `$.*.updatedAt`, `$['a.b']`) are compiled once per
 * rule list into a tiny NFA stepped key by key during the walk; `*` (as `.*` or `[*]`) matches any
 * key or index. A `body:` prefix is accepted, so config rules can be passed through unchanged.
 */
import { paramOf } from './template.js';

/** One step of a parsed path. */
export type PathSegment = { readonly any: true } | { readonly key: string } | { readonly index: number };

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * Child paths already built, per parent path. Bodies repeat the same shapes (every element of an
 * array, every response of an endpoint), so a compared body asks for the same few hundred paths
 * over and over: the memo hands back one string each time instead of concatenating (and testing
 * the key against the id shapes) again, and a string that comes back is already hashed when it is
 * looked up in a Set or Map. Bounded: past MEMO_MAX entries it starts over.
 */
const MEMO_MAX = 50_000;
const MEMO_KEY_MAX = 128;
const MEMO_PATH_MAX = 512;
let keyMemo = new Map<string, Map<string, string>>();
let indexMemo = new Map<string, string>();
let memoSize = 0;

function remember(): void {
  if (++memoSize <= MEMO_MAX) return;
  [keyMemo, indexMemo, memoSize] = [new Map(), new Map(), 1];
}

/**
 * The folded path of object key `key` under `parent`.
 * @example keyPath('$', 'cart') // '$.cart'
 * @example keyPath('$', 'a.b') // "$['a.b']"
 * @example keyPath('$.users', '12345') // '$.users.*'
 */
export function keyPath(parent: string, key: string): string {
  // Long keys and paths are rare and would make the memo's memory unbounded in practice: built each time.
  if (key.length > MEMO_KEY_MAX || parent.length > MEMO_PATH_MAX) return buildKeyPath(parent, key);
  let children = keyMemo.get(parent);
  const known = children?.get(key);
  if (known !== undefined) return known;
  const path = buildKeyPath(parent, key);
  remember();
  if (!children) keyMemo.set(parent, (children = new Map()));
  children.set(key, path);
  return path;
}

function buildKeyPath(parent: string, key: string): string {
  if (paramOf(key) !== undefined) return `${parent}.*`;
  if (IDENT.test(key)) return `${parent}.${key}`;
  return `${parent}['${key.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}']`;
}

/**
 * The folded path of every element of the array at `parent`.
 * @example indexPath('$.items') // '$.items[*]'
 */
export function indexPath(parent: string): string {
  if (parent.length > MEMO_PATH_MAX) return `${parent}[*]`;
  const known = indexMemo.get(parent);
  if (known !== undefined) return known;
  const path = `${parent}[*]`;
  remember();
  indexMemo.set(parent, path);
  return path;
}

/**
 * Parses `$.a[*].b`, `$['x.y'][0]`, `$.*` (optionally prefixed `body:`); undefined when malformed.
 * @example parseJsonPath('$.items[*].id') // [{ key: 'items' }, { any: true }, { key: 'id' }]
 */
export function parseJsonPath(path: string): PathSegment[] | undefined {
  const p = path.startsWith('body:') ? path.slice(5) : path;
  if (p[0] !== '$') return undefined;
  const out: PathSegment[] = [];
  let i = 1;
  while (i < p.length) {
    if (p[i] === '.') {
      let j = i + 1;
      while (j < p.length && p[j] !== '.' && p[j] !== '[') j++;
      const name = p.slice(i + 1, j);
      if (name === '') return undefined;
      out.push(name === '*' ? { any: true } : { key: name });
      i = j;
    } else if (p[i] === '[') {
      const q = p[i + 1];
      if (q === "'" || q === '"') {
        let j = i + 2;
        let key = '';
        while (j < p.length && p[j] !== q) {
          if (p[j] === '\\' && j + 1 < p.length) j++;
          key += p[j];
          j++;
        }
        if (p[j + 1] !== ']') return undefined;
        out.push({ key });
        i = j + 2;
      } else {
        const end = p.indexOf(']', i);
        if (end < 0) return undefined;
        const inner = p.slice(i + 1, end);
        if (inner === '*') out.push({ any: true });
        else if (/^\d+$/.test(inner)) out.push({ index: Number(inner) });
        else return undefined;
        i = end + 1;
      }
    } else return undefined;
  }
  return out;
}

/**
 * Ignore-rule states during a walk. A state is `rule * 1024 + position` (rules are short); the
 * empty list means "nothing can match below here", which keeps rule-free walks allocation-free.
 */
export type IgnoreStates = readonly number[];

/** A compiled ignore-rule list. */
export interface IgnoreMatcher {
  /** States at `$`; undefined when a rule ignores the whole body (`$`). */
  readonly root: IgnoreStates | undefined;
  /** States for child `key` (string: object key, number: array index); undefined when it is ignored. */
  step(states: IgnoreStates, key: string | number): IgnoreStates | undefined;
}

const NONE: IgnoreStates = [];
const cache = new WeakMap<readonly string[], IgnoreMatcher>();

/**
 * Compiles ignore rules (malformed ones are skipped: the config schema reports them). Cached per
 * list, so passing the same compiled rules per pair costs one WeakMap lookup.
 * @example
 * const m = compileIgnore(['$.meta.ts']);
 * m.step(m.step(m.root!, 'meta')!, 'ts') // undefined: ignored
 */
export function compileIgnore(rules: readonly string[]): IgnoreMatcher {
  const hit = cache.get(rules);
  if (hit) return hit;
  const pats = rules.map(parseJsonPath).filter((p): p is PathSegment[] => p !== undefined && p.length < 1024);
  const root = pats.some((p) => p.length === 0) ? undefined : pats.length === 0 ? NONE : pats.map((_, i) => i * 1024);
  const m: IgnoreMatcher = {
    root,
    step(states, key) {
      if (states.length === 0) return NONE;
      let next: number[] | undefined;
      for (const s of states) {
        const pat = pats[s >> 10]!;
        const pos = s & 1023;
        const seg = pat[pos]!;
        const ok = 'any' in seg || ('key' in seg ? seg.key === String(key) : seg.index === key);
        if (!ok) continue;
        if (pos + 1 === pat.length) return undefined;
        (next ??= []).push(s + 1);
      }
      return next ?? NONE;
    },
  };
  cache.set(rules, m);
  return m;
}
