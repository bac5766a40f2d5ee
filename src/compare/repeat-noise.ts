/**
 * Noise learned without a second control: when the same GET is answered twice by the primary,
 * fields that changed between the two answers (timestamps, nonces, request ids) are volatile on
 * their own, while real data holds still. The learner remembers the flattened fingerprint of the
 * last primary JSON body per `method + url` in a bounded LRU and, on the next repeat, reports which
 * fields it compared and which changed — counts in the same field namespace as comparePair
 * (`body:$.ts`), ready to be summed into noise rows next to the primary-vs-shadow rows.
 *
 * Repeats are only trusted within `maxAgeMs` (default 60 s): primary and shadow answer at the same
 * moment, so slow data drift between repeats minutes apart would overstate noise and hide real
 * regressions on fields like stock counts. Feed it only safe, idempotent requests.
 */
import type { Leaf, Leaves } from './flatten.js';
import { createLru } from './lru.js';

/** Fields compared and changed between two primary answers to one request (`body:` prefixed). */
export interface RepeatNoise {
  readonly compared: string[];
  readonly differed: string[];
}

/** Learner settings. */
export interface RepeatNoiseOptions {
  /** Distinct URLs remembered (default 512). Memory ≈ maxEntries × maxLeaves × ~100 bytes. */
  readonly maxEntries?: number;
  /** Oldest previous answer still compared, ms (default 60 000). */
  readonly maxAgeMs?: number;
}

/** The learner: one per process (or per route), fed from the capture path off the request. */
export interface RepeatLearner {
  /** Remembers `leaves` as the latest primary answer for `key` without comparing. */
  observe(key: string, leaves: Leaves, at?: number): void;
  /** Compares `leaves` with the remembered answer for `key` (empty when none or stale), then remembers them. */
  noiseFromRepeat(key: string, leaves: Leaves, at?: number): RepeatNoise;
  readonly size: number;
}

/**
 * The learner's key for a request.
 * @example repeatKey('GET', '/users/7?x=1') // 'GET /users/7?x=1'
 */
export function repeatKey(method: string, url: string): string {
  return `${method.toUpperCase()} ${url}`;
}

function tagOf(v: number | string): string {
  return typeof v === 'number' ? '#' : (v[0] ?? '');
}

/** True when the two fingerprints differ the way diffJson would report at this node. */
function changed(a: Leaf, b: Leaf, tolerance: number): 'type' | 'order' | 'value' | undefined {
  const ta = tagOf(a.value);
  if (ta !== tagOf(b.value)) return 'type';
  if (ta === '#') {
    const x = a.value as number;
    const y = b.value as number;
    return x === y || (tolerance > 0 && Math.abs(x - y) <= tolerance * Math.max(Math.abs(x), Math.abs(y))) ? undefined : 'value';
  }
  if (ta === '[') return a.set === b.set && a.value !== b.value ? 'order' : undefined;
  if (ta === '{') return undefined;
  return a.value === b.value ? undefined : 'value';
}

/**
 * Which fields changed between two flattened answers, mirroring diffJson's rules: an added,
 * removed or retyped node counts at its own path and hides its subtree; an index-aligned array
 * that was only reordered differs once (its elements count as compared, never as differing); an
 * id-aligned one differs once and its elements are still compared by id. When either side hit the leaf cap, only nodes
 * present on both sides are compared.
 * @example diffLeaves(flattenLeaves({ ts: 1, a: 2 }, r), flattenLeaves({ ts: 9, a: 2 }, r))
 * // { compared: ['body:$', 'body:$.ts', 'body:$.a'], differed: ['body:$.ts'] }
 */
export function diffLeaves(prev: Leaves, cur: Leaves): RepeatNoise {
  const compared = new Set<string>();
  const differed = new Set<string>();
  const skip = new Set<string>();
  /** Below a reordered index array: looked at (diffJson lists them) but never differing. */
  const quiet = new Set<string>();
  const partial = prev.capped || cur.capped;
  for (const [k, a] of prev.map) {
    if (a.parent !== undefined && skip.has(a.parent)) {
      skip.add(k);
      continue;
    }
    if (a.parent !== undefined && quiet.has(a.parent)) {
      compared.add(a.path);
      quiet.add(k);
      continue;
    }
    const b = cur.map.get(k);
    if (b === undefined) {
      if (partial) continue;
      compared.add(a.path);
      differed.add(a.path);
      skip.add(k);
      continue;
    }
    compared.add(a.path);
    const how = changed(a, b, cur.tolerance);
    if (how === undefined) continue;
    differed.add(a.path);
    if (how === 'type') skip.add(k);
    else if (how === 'order' && (a.value as string)[1] === 'i') quiet.add(k);
  }
  for (const [k, b] of cur.map) {
    if (prev.map.has(k)) continue;
    if ((b.parent !== undefined && (skip.has(b.parent) || quiet.has(b.parent))) || partial) {
      skip.add(k);
      continue;
    }
    compared.add(b.path);
    differed.add(b.path);
    skip.add(k);
  }
  const body = (p: string): string => `body:${p}`;
  return { compared: [...compared].map(body), differed: [...differed].map(body) };
}

/**
 * Creates a repeat-noise learner.
 * @example
 * const learner = createRepeatNoise();
 * const noise = learner.noiseFromRepeat(repeatKey('GET', url), flattenLeaves(json, rules));
 * // noise.compared / noise.differed → DiffBatch.noise increments
 */
export function createRepeatNoise(opts: RepeatNoiseOptions = {}): RepeatLearner {
  const maxAge = opts.maxAgeMs ?? 60_000;
  const lru = createLru<string, { leaves: Leaves; at: number }>(opts.maxEntries ?? 512);
  return {
    observe(key, leaves, at = Date.now()) {
      lru.set(key, { leaves, at });
    },
    noiseFromRepeat(key, leaves, at = Date.now()) {
      const prev = lru.get(key);
      if (prev !== undefined && at < prev.at) return { compared: [], differed: [] }; // late arrival: keep the newer one
      lru.set(key, { leaves, at });
      if (prev === undefined || at - prev.at > maxAge) return { compared: [], differed: [] };
      return diffLeaves(prev.leaves, leaves);
    },
    get size() {
      return lru.size;
    },
  };
}
