import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StorageSchemaError } from '../../../../src/storage/migrations.js';
import { PG_MIGRATIONS, migratePostgres } from '../../../../src/storage/postgres/migrations.js';
import { createPgDatabase } from '../../../../src/storage/postgres/pool.js';
import { parsePostgresUrl, type PostgresTarget } from '../../../../src/storage/postgres/url.js';
import { createTestSchema, type TestSchema } from '../../../helpers/pg.js';

let pgs: TestSchema;
beforeAll(async () => {
  pgs = await createTestSchema();
});
afterAll(() => pgs?.drop());

const target = (url: string) => parsePostgresUrl(url) as PostgresTarget;

describe('parsePostgresUrl', () => {
  it('takes the schema parameter off the driver URL and hides the password', () => {
    const t = target('postgres://fl:s3cret@db.internal:6432/fieldlab?schema=edge&sslmode=require');
    expect(t.schema).toBe('edge');
    expect(t.connectionString).toBe('postgres://fl:s3cret@db.internal:6432/fieldlab?sslmode=require');
    expect(t.display).toBe('postgres://fl:***@db.internal:6432/fieldlab?sslmode=require');
    expect(target('postgresql://fl@db/fieldlab').schema).toBe('fieldlab');
  });

  it('explains what is wrong instead of throwing', () => {
    expect(parsePostgresUrl('postgres://db')).toEqual({ error: expect.stringContaining('database name') });
    expect(parsePostgresUrl('mysql://u@h/db')).toEqual({ error: expect.stringContaining('postgres://') });
    expect(parsePostgresUrl('postgres://u@h/db?schema=Bad-Name')).toEqual({ error: expect.stringContaining('schema') });
    expect(parsePostgresUrl('::')).toEqual({ error: expect.stringContaining('not a URL') });
  });
});

describe('PostgreSQL migrations', () => {
  it('migrates a new schema once, even when replicas start together, and again is a no-op', async () => {
    const dbs = [0, 1, 2].map(() => createPgDatabase(target(pgs.url)));
    const results = await Promise.all(dbs.map((db) => migratePostgres(db)));
    expect(results.filter((r) => r.from === 0)).toHaveLength(1);
    expect(results.every((r) => r.to === PG_MIGRATIONS.length)).toBe(true);
    expect(await migratePostgres(dbs[0]!)).toEqual({ from: PG_MIGRATIONS.length, to: PG_MIGRATIONS.length });
    const versions = await pgs.query<{ version: number }>(`SELECT version FROM "${pgs.schema}".fieldlab_migrations ORDER BY version`);
    expect(versions.map((v) => v.version)).toEqual(PG_MIGRATIONS.map((_, i) => i + 1));
    await Promise.all(dbs.map((db) => db.close()));
  });

  it('refuses a schema written by a newer release and leaves it untouched', async () => {
    const db = createPgDatabase(target(pgs.url));
    await pgs.query(`INSERT INTO "${pgs.schema}".fieldlab_migrations (version) VALUES (99)`);
    await expect(migratePostgres(db)).rejects.toBeInstanceOf(StorageSchemaError);
    await pgs.query(`DELETE FROM "${pgs.schema}".fieldlab_migrations WHERE version = 99`);
    await db.close();
  });

  it('rolls back every pending migration when one statement fails', async () => {
    const other = await createTestSchema();
    const db = createPgDatabase(target(other.url));
    const broken = [...PG_MIGRATIONS, () => ['CREATE TABLE nowhere.x (a int)']];
    await expect(migratePostgres(db, broken)).rejects.toThrow();
    const tables = await other.query(`SELECT 1 FROM information_schema.tables WHERE table_schema = $1`, [other.schema]);
    expect(tables).toEqual([]);
    await db.close();
    await other.drop();
  });
});
