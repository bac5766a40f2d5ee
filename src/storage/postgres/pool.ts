/**
 * The connection pool behind every PostgreSQL store. Built so it works through a transaction-mode
 * pooler (PgBouncer `pool_mode = transaction`): unnamed statements only (no server-side prepared
 * statements), no `SET`, no `search_path` (tables are schema-qualified), client-side timeouts
 * instead of a `statement_timeout` startup parameter, and no session advisory locks (only
 * `pg_advisory_xact_lock`, released at commit). LISTEN is the one session feature Fieldlab uses, on
 * a dedicated direct connection (see fleet/listener.ts).
 */
import pg from 'pg';
import type { PostgresTarget } from './url.js';

/** A query runner: the pool, or one client inside a transaction. */
export type PgQuery = <R extends object = Record<string, unknown>>(sql: string, params?: readonly unknown[]) => Promise<R[]>;

/** One database, one schema. */
export interface PgDatabase {
  readonly target: PostgresTarget;
  /** `"schema".name`, for every table reference. */
  t(name: string): string;
  readonly query: PgQuery;
  /** Runs `fn` in one transaction (BEGIN … COMMIT, ROLLBACK on a throw) on one pooled client. */
  tx<T>(fn: (q: PgQuery) => Promise<T>): Promise<T>;
  /** A new unpooled client with the same settings (for LISTEN); the caller connects and ends it. */
  dedicatedClient(): pg.Client;
  close(): Promise<void>;
}

/** Pool options (the `store:` object form's `pool`). */
export interface PgPoolOptions {
  /** Most connections this process opens (default 4: writes are batched, one a second per store). */
  readonly max?: number;
  /** Client-side timeout per query, ms (default 5000): a stuck server fails the batch, not the proxy. */
  readonly queryTimeoutMs?: number;
  /** Called for errors on idle connections (server restart, network cut); without it they'd crash Node. */
  readonly onError?: (err: Error) => void;
  readonly applicationName?: string;
}

// int8 (bigint, count(*), sum(bigint)) and numeric as JS numbers: every value Fieldlab stores is an
// epoch-ms, a count or a sequence number well below 2^53, and callers want numbers, not strings.
const INT8 = 20;
const NUMERIC = 1700;
const types = {
  getTypeParser(oid: number, format?: 'text' | 'binary') {
    if (oid === INT8 || oid === NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format ?? 'text');
  },
};

/**
 * Opens a pool on `target` (lazy: the first query connects).
 * @example const db = createPgDatabase(parsed, { max: 4 }); await db.query('SELECT 1')
 */
export function createPgDatabase(target: PostgresTarget, opts: PgPoolOptions = {}): PgDatabase {
  const settings = {
    connectionString: target.connectionString,
    connectionTimeoutMillis: 3000,
    query_timeout: opts.queryTimeoutMs ?? 5000,
    keepAlive: true,
    application_name: opts.applicationName ?? 'fieldlab',
    types,
  };
  const pool = new pg.Pool({ ...settings, max: opts.max ?? 4, idleTimeoutMillis: 10_000 });
  const onError = opts.onError ?? (() => undefined);
  pool.on('error', onError);
  const quoted = `"${target.schema}"`;
  const run =
    (c: pg.Pool | pg.PoolClient): PgQuery =>
    async <R extends object>(sql: string, params?: readonly unknown[]) =>
      (await c.query<R>(sql, params as unknown[] | undefined)).rows;
  return {
    target,
    t: (name) => `${quoted}.${name}`,
    query: run(pool),
    async tx(fn) {
      const client = await pool.connect();
      let broken: Error | undefined;
      // The pool removes its own 'error' listener from a checked-out client, so a connection that
      // dies between two statements (a partition, a server restart) would emit an unhandled
      // 'error' and kill the process. Listen for it here; the pending or next statement rejects.
      const onLost = (err: Error) => {
        broken = err;
        onError(err);
      };
      client.on('error', onLost);
      try {
        await client.query('BEGIN');
        const out = await fn(run(client));
        await client.query('COMMIT');
        return out;
      } catch (err) {
        broken = err as Error;
        await client.query('ROLLBACK').catch(() => undefined);
        throw err;
      } finally {
        client.removeListener('error', onLost);
        // A connection that failed mid-transaction may be unusable: discard rather than pool it.
        client.release(broken && !(broken as { code?: string }).code ? broken : undefined);
      }
    },
    dedicatedClient() {
      const c = new pg.Client(settings);
      c.on('error', onError);
      return c;
    },
    close: () => pool.end(),
  };
}
