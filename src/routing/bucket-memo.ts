/**
 * Remembers recent sticky buckets. A user sends many requests under one key, and its bucket is a pure
 * function of (seed, key) (hash.ts), so a returning key costs one Map lookup instead of a SHA-256
 * (~0.35 µs). Bounded so a client can't make it grow: only one-block inputs (≤ 55 bytes, the common
 * case) are kept, at most `maxKeys` per generation in two generations per seed (a full young map
 * becomes the old one, so recent keys survive the turnover), for at most `maxSeeds` seeds; past those,
 * buckets are computed as before. A miss costs a lookup and an insert on top of the hash.
 */
import { bucketOf } from './hash.js';
import { ONE_BLOCK_BYTES } from './sha256-word.js';

/** The two generations of one seed's buckets. */
interface Generations {
  young: Map<string, number>;
  old: Map<string, number>;
}

/** (seed, key) → bucket, as bucketOf, with recent answers kept. */
export type BucketMemo = (seed: string, key: string) => number;

/**
 * Creates a memo; `maxKeys` per generation, `maxSeeds` seeds kept.
 * @example const bucket = createBucketMemo(); bucket(route.seed, sticky.key) === bucketOf(route.seed, sticky.key)
 */
export function createBucketMemo(maxKeys = 1024, maxSeeds = 16): BucketMemo {
  const bySeed = new Map<string, Generations>();
  return (seed, key) => {
    // Characters, not bytes: a one-block input has at most 55 UTF-16 units; longer ones are not kept.
    if (seed.length + 1 + key.length > ONE_BLOCK_BYTES) return bucketOf(seed, key);
    let g = bySeed.get(seed);
    if (!g) {
      if (bySeed.size >= maxSeeds) return bucketOf(seed, key);
      bySeed.set(seed, (g = { young: new Map(), old: new Map() }));
    }
    const known = g.young.get(key);
    if (known !== undefined) return known;
    const bucket = g.old.get(key) ?? bucketOf(seed, key);
    if (g.young.size >= maxKeys) {
      g.old = g.young;
      g.young = new Map();
    }
    g.young.set(key, bucket);
    return bucket;
  };
}
