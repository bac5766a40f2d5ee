// PostgreSQL for tests: one uniquely named schema per test file on the real server, dropped
// afterwards. An unreachable server FAILS the test (never a silent skip): fleet code is only
// tested against the real thing. Override the server with FIELDLAB_TEST_PG.
import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The server every PG test uses (trust auth on loopback; `.ci/run` starts it). */
export const TEST_PG = process.env.FIELDLAB_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

/** A schema made for one test file. */
export interface TestSchema {
  readonly schema: string;
  /** The store URL pointing at the schema (`postgres://…?schema=…`). */
  readonly url: string;
  /** Runs SQL as the admin (for assertions and fault injection). */
  query<R extends object = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<R[]>;
  /** Drops the schema and closes the admin connection. */
  drop(): Promise<void>;
}

/**
 * Creates `fl_test_<random>` (empty; Fieldlab's migrations fill it). Throws with the server address
 * when PostgreSQL is unreachable, so a missing server is a failure, not a skip.
 * @example const pgs = await createTestSchema(); afterAll(() => pgs.drop())
 */
export async function createTestSchema(base = TEST_PG): Promise<TestSchema> {
  const schema = `fl_test_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: base, connectionTimeoutMillis: 5000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
  } catch (err) {
    throw new Error(`PostgreSQL is not reachable at ${base} (${(err as Error).message}); fleet tests need it — start it (.ci/run does)`);
  }
  await client.query(`CREATE SCHEMA "${schema}"`);
  const sep = base.includes('?') ? '&' : '?';
  return {
    schema,
    url: `${base}${sep}schema=${schema}`,
    query: async (sql, params) => (await client.query(sql, params)).rows,
    async drop() {
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    },
  };
}
