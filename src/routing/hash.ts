/**
 * The sticky hash. Documented exactly so anyone can reproduce an assignment offline:
 *
 *   bucket = uint32_be(sha256(seed + "\n" + key)[0..4]) mod 10000
 *
 * SHA-256 rather than a fast non-cryptographic hash: it is available in every language's standard
 * library, has no seed-correlation artefacts between experiments, and costs ~1µs, which is noise next
 * to a proxied request. The 2^32 mod 10000 bias is < 3e-6 per bucket.
 */
import { hash } from 'node:crypto';
import { sha256Word } from './sha256-word.js';

/** Size of the bucket space; a bucket is one hundredth of a percent. */
export const BUCKETS = 10_000;

/**
 * Maps (seed, key) to a bucket in [0, 10000).
 * @example bucketOf('checkout-2026-11', 'user-42') // the same number on every machine, forever
 */
export function bucketOf(seed: string, key: string): number {
  const text = `${seed}\n${key}`;
  // Most `seed\nkey` strings fit one SHA-256 block: the first word in plain JS (sha256-word.ts).
  const word = sha256Word(text);
  if (word >= 0) return word % BUCKETS;
  // One-shot hash() with hex output: no Hash object and no Buffer per request. The first 8 hex digits
  // are the first 4 bytes big-endian, so this is the documented formula; on Node 20 it is ~3× cheaper
  // than the 'buffer' output (~2 µs vs ~6 µs), which takes a slower encoding path.
  return Number.parseInt(hash('sha256', text, 'hex').slice(0, 8), 16) % BUCKETS;
}
