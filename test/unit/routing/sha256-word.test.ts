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

  // A seeded fuzz (no Math.random: a failure reproduces): any code unit, lone surrogates and
  // 4-byte characters straddling the 55-byte edge included; every key either agrees or is declined
  // (-1) only when it does not fit, and bucketOf matches the formula for all of them.
  it('agrees with node:crypto on 20,000 random keys of any code units', () => {
    let seed = 0x2026_1202;
    const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
    const pick = [() => 32 + (next() % 95), () => next() % 0x10000, () => 0xd800 + (next() % 0x800), () => next() % 0x800];
    for (let i = 0; i < 20_000; i++) {
      let key = '';
      const len = next() % 40;
      while (key.length < len)
        key += next() % 5 === 0 ? String.fromCodePoint(0x10000 + (next() % 0xfffff)) : String.fromCharCode(pick[next() % 4]!());
      const text = `seed\n${key}`;
      const word = sha256Word(text);
      if (word === -1) expect(Buffer.byteLength(text, 'utf8')).toBeGreaterThan(ONE_BLOCK_BYTES);
      else expect(word).toBe(reference(text));
      expect(bucketOf('seed', key)).toBe(reference(text) % BUCKETS);
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
