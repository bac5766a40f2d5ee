import { hash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BUCKETS, bucketOf } from '../../../src/routing/hash.js';
import { ONE_BLOCK_BYTES, sha256Word } from '../../../src/routing/sha256-word.js';

/** The documented formula, straight from node:crypto. */
const reference = (text: string): number => Number.parseInt(hash('sha256', text, 'hex').slice(0, 8), 16);

describe('sha256Word', () => {
  it('is the first word of SHA-256 (FIPS 180-4 test vectors)', () => {
    expect(sha256Word('abc')).toBe(0xba7816bf);
    expect(sha256Word('')).toBe(0xe3b0c442);
  });

  it('agrees with node:crypto for every length that fits one block, ASCII and multi-byte', () => {
    for (let n = 0; n <= ONE_BLOCK_BYTES; n++) {
      const ascii = 'x'.repeat(n);
      expect(sha256Word(ascii)).toBe(reference(ascii));
    }
    for (const text of ['seed\nüser-é', 'seed\n用户-42', 'seed\n👩‍💻', 'a\n\ud800 lone surrogate', `s\n${'é'.repeat(26)}`]) {
      expect(sha256Word(text)).toBe(reference(text));
    }
  });

  it('declines what does not fit one block, so the caller uses node:crypto', () => {
    expect(sha256Word('x'.repeat(ONE_BLOCK_BYTES + 1))).toBe(-1);
    expect(sha256Word('é'.repeat(28))).toBe(-1); // 56 UTF-8 bytes from 28 characters
    expect(sha256Word('x'.repeat(500))).toBe(-1);
  });
});

describe('bucketOf with the one-block path', () => {
  it('gives the documented bucket for short and long keys alike', () => {
    const keys = [...Array.from({ length: 2000 }, (_, i) => `user-${i}`), 'k'.repeat(54), 'k'.repeat(200), '203.0.113.7', 'ü'.repeat(40)];
    for (const key of keys) expect(bucketOf('checkout-2026-11', key)).toBe(reference(`checkout-2026-11\n${key}`) % BUCKETS);
  });
});
