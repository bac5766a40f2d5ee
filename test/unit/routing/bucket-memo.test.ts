import { describe, expect, it } from 'vitest';
import { createBucketMemo } from '../../../src/routing/bucket-memo.js';
import { bucketOf } from '../../../src/routing/hash.js';

describe('createBucketMemo', () => {
  it('answers as bucketOf for returning keys, across generations and turnovers', () => {
    const memo = createBucketMemo(8, 2);
    // 40 keys through an 8-key generation: every turnover, then every key again (old and evicted alike).
    for (let round = 0; round < 3; round++)
      for (let i = 0; i < 40; i++) expect(memo('seed-a', `user-${i}`)).toBe(bucketOf('seed-a', `user-${i}`));
  });

  it('keeps each seed apart: the same key under another seed gets that seed’s bucket', () => {
    const memo = createBucketMemo(8, 4);
    const key = 'user-7';
    expect(bucketOf('seed-a', key)).not.toBe(bucketOf('seed-b', key));
    expect(memo('seed-a', key)).toBe(bucketOf('seed-a', key));
    expect(memo('seed-b', key)).toBe(bucketOf('seed-b', key));
    expect(memo('seed-a', key)).toBe(bucketOf('seed-a', key));
  });

  it('computes past its seed cap and for keys longer than one block, still as bucketOf', () => {
    const memo = createBucketMemo(8, 1);
    expect(memo('seed-a', 'u1')).toBe(bucketOf('seed-a', 'u1'));
    expect(memo('seed-b', 'u1')).toBe(bucketOf('seed-b', 'u1'));
    const long = 'k'.repeat(200);
    expect(memo('seed-a', long)).toBe(bucketOf('seed-a', long));
    expect(memo('seed-a', 'ü'.repeat(20))).toBe(bucketOf('seed-a', 'ü'.repeat(20)));
  });
});
