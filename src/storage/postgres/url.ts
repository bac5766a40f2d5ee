/**
 * `postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?schema=NAME]` → what the pool needs. The one place a
 * PostgreSQL store URL is read; `schema` (default `fieldlab`) is Fieldlab's own parameter and is
 * stripped before the rest goes to the driver. Every table name is qualified with the schema, so no
 * connection depends on `search_path` (session state a transaction-mode pooler would not keep).
 */

/** A parsed PostgreSQL store URL. */
export interface PostgresTarget {
  /** Connection string for the driver, without Fieldlab's own parameters. */
  readonly connectionString: string;
  /** Schema holding every Fieldlab table (created by the first migration when missing). */
  readonly schema: string;
  /** The URL with any password replaced by `***`, for logs and `GET /fleet`. */
  readonly display: string;
}

/** Unquoted identifiers only: no quoting games in generated SQL, and ≤ 63 bytes (NAMEDATALEN). */
const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * Parses a store URL; returns an error sentence instead of throwing (config validation shows it).
 * @example parsePostgresUrl('postgres://fieldlab@db:5432/fieldlab?schema=edge').schema // "edge"
 */
export function parsePostgresUrl(url: string): PostgresTarget | { error: string } {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return { error: 'not a URL; use postgres://USER@HOST:PORT/DB' };
  }
  if (u.protocol !== 'postgres:' && u.protocol !== 'postgresql:') return { error: 'use postgres://USER@HOST:PORT/DB' };
  if (!u.hostname) return { error: 'postgres URL needs a host (postgres://USER@HOST:PORT/DB)' };
  if (u.pathname.length <= 1) return { error: 'postgres URL needs a database name (postgres://USER@HOST:PORT/DB)' };
  const schema = u.searchParams.get('schema') ?? 'fieldlab';
  if (!SCHEMA_NAME.test(schema)) return { error: `schema "${schema}" must match ${SCHEMA_NAME.source}` };
  u.searchParams.delete('schema');
  const connectionString = u.toString();
  if (u.password) u.password = '***';
  return { connectionString, schema, display: u.toString() };
}
