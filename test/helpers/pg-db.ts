// A migrated Fieldlab database in a fresh test schema (see pg.ts), for fleet and store tests.
import { migratePostgres } from '../../src/storage/postgres/migrations.js';
import { createPgDatabase, type PgDatabase } from '../../src/storage/postgres/pool.js';
import { parsePostgresUrl, type PostgresTarget } from '../../src/storage/postgres/url.js';
import { createTestSchema, type TestSchema } from './pg.js';

/**
 * A new schema, migrated, with `n` pools on it (n replicas). `drop` closes them and drops the schema.
 * @example const { dbs: [a, b], drop } = await migratedSchema(2)
 */
export async function migratedSchema(n = 1): Promise<{ pgs: TestSchema; dbs: PgDatabase[]; drop(): Promise<void> }> {
  const pgs = await createTestSchema();
  const dbs = Array.from({ length: n }, () => createPgDatabase(parsePostgresUrl(pgs.url) as PostgresTarget));
  await migratePostgres(dbs[0]!);
  return {
    pgs,
    dbs,
    async drop() {
      await Promise.all(dbs.map((d) => d.close()));
      await pgs.drop();
    },
  };
}
