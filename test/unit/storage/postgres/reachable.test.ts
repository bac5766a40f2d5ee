// Which startup failures are waited out (the database not up yet) and which fail at once.
import { describe, expect, it } from 'vitest';
import { isTransientPgError, openWhenReachable } from '../../../../src/storage/postgres/reachable.js';

const coded = (code: string, message = code) => Object.assign(new Error(message), { code });

describe('isTransientPgError', () => {
  it('retries what fixes itself', () => {
    for (const code of [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EHOSTUNREACH',
      'ENOTFOUND',
      'EAI_AGAIN',
      '08006',
      '57P03',
      '57P01',
      '53300',
    ])
      expect(isTransientPgError(coded(code)), code).toBe(true);
    expect(isTransientPgError(new Error('timeout expired'))).toBe(true);
    expect(isTransientPgError(new Error('Connection terminated unexpectedly'))).toBe(true);
  });
  it('fails at once on what a retry cannot fix', () => {
    // bad password, no such role/authorization, no such database, no privilege, syntax
    for (const code of ['28P01', '28000', '3D000', '42501', '42601']) expect(isTransientPgError(coded(code)), code).toBe(false);
    expect(isTransientPgError(new Error('the database was migrated by a newer Fieldlab (version 9)'))).toBe(false);
    // PgBouncer sends 08P01 (class 08, "connection exception") for a database or user it does not know.
    expect(isTransientPgError(coded('08P01', 'no such database: nosuch'))).toBe(false);
    expect(isTransientPgError(coded('08P01', 'no such user: bob'))).toBe(false);
    expect(isTransientPgError(coded('08P01', 'server login has been failing, try again later (server_login_retry)'))).toBe(true);
  });
});

describe('openWhenReachable', () => {
  it('retries transient failures until the open succeeds, reporting each', async () => {
    let calls = 0;
    const retries: number[] = [];
    const out = await openWhenReachable(
      async () => {
        if (++calls < 3) throw coded('ECONNREFUSED');
        return 'open';
      },
      { firstDelayMs: 1, maxDelayMs: 2, onRetry: ({ attempt }) => retries.push(attempt) },
    );
    expect(out).toBe('open');
    expect(retries).toEqual([1, 2]);
  });
  it('rethrows a permanent failure without retrying', async () => {
    let calls = 0;
    await expect(
      openWhenReachable(
        async () => {
          calls++;
          throw coded('3D000', 'database "x" does not exist');
        },
        { firstDelayMs: 1 },
      ),
    ).rejects.toThrow('does not exist');
    expect(calls).toBe(1);
  });
});
