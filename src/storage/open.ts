/**
 * Opens the store named by the config's `store.url`. The one place a store URL is parsed
 * (`parseStoreUrl`: the config schema, the proxy and the CLI all call it), and the table of backends
 * keyed by scheme: SQLite is built in; `postgres://` is reserved for the fleet backend
 * (storage/postgres/), loaded lazily so the SQLite path never imports a PostgreSQL client.
 */
import { resolve } from 'node:path';
import { parsePostgresUrl } from './postgres/url.js';
import type { DiffStoreLimits, Stores } from './types.js';

/** A parsed store URL. */
export type StoreLocation =
  /** `sqlite:PATH` (relative to the working directory, resolved here) or `sqlite::memory:`. */
  | { readonly kind: 'sqlite'; readonly url: string; readonly file: string }
  /** `postgres://…` or `postgresql://…`, passed to the driver unchanged. */
  | { readonly kind: 'postgres'; readonly url: string };

/** What a backend is told besides where. */
export interface StoreOptions extends DiffStoreLimits {
  /** PostgreSQL: connections in the pool. */
  readonly pool?: number;
  /** Store requests waiting for the backend (SQLite: the worker's queue); beyond it they are dropped and counted. */
  readonly queue?: number;
  /** SQLite: run in a worker thread (default true; the CLI, with no proxy loop to protect, passes false). */
  readonly worker?: boolean;
}

/** A storage backend: opens every repository at a location. */
export interface StoreBackend {
  open(location: StoreLocation, opts: StoreOptions): Promise<Stores>;
}

/** Why a URL is not a store, in words for the config validator and the CLI. */
export const STORE_URL_HELP = 'use sqlite:PATH (e.g. sqlite:./data/fieldlab.db), sqlite::memory:, or postgres://USER@HOST:PORT/DB';

/**
 * Parses a store URL. Pure: nothing is opened or created.
 * @example parseStoreUrl('sqlite:./data/fieldlab.db') // { ok: true, location: { kind: 'sqlite', file: '/cwd/data/fieldlab.db', … } }
 * @example parseStoreUrl('mysql://x') // { ok: false, error: 'unsupported store "mysql://x": use sqlite:PATH …' }
 */
export function parseStoreUrl(url: string): { ok: true; location: StoreLocation } | { ok: false; error: string } {
  if (url.startsWith('sqlite:')) {
    const path = url.slice('sqlite:'.length);
    if (path === '') return { ok: false, error: `store "${url}" has no path: ${STORE_URL_HELP}` };
    return { ok: true, location: { kind: 'sqlite', url, file: path === ':memory:' ? ':memory:' : resolve(path) } };
  }
  if (/^postgres(?:ql)?:\/\//.test(url)) {
    if (!URL.canParse(url)) return { ok: false, error: `store "${url}" is not a valid URL: ${STORE_URL_HELP}` };
    // Host, database and `?schema=` checked here too, so `fieldlab validate` reports them (no driver loaded).
    const pg = parsePostgresUrl(url);
    if ('error' in pg) return { ok: false, error: `postgres store: ${pg.error}` };
    return { ok: true, location: { kind: 'postgres', url } };
  }
  return { ok: false, error: `unsupported store "${url}": ${STORE_URL_HELP}` };
}

/**
 * Backends by scheme, loaded on first use. The fleet's PostgreSQL backend plugs in here:
 * `postgres: async () => (await import('./postgres/backend.js')).postgresBackend`.
 */
export const STORE_BACKENDS: Record<StoreLocation['kind'], () => Promise<StoreBackend>> = {
  sqlite: async () => (await import('./sqlite-backend.js')).sqliteBackend,
  postgres: async () => (await import('./postgres/backend.js')).postgresBackend,
};

/**
 * Opens every repository of the store at `url` (rejects on an invalid URL or a failing backend).
 * @example const { diffs, guardrails, close } = await openStore('sqlite:./data/fieldlab.db')
 */
export async function openStore(url: string, opts: StoreOptions = {}): Promise<Stores> {
  const parsed = parseStoreUrl(url);
  if (!parsed.ok) throw new Error(parsed.error);
  const backend = await STORE_BACKENDS[parsed.location.kind]();
  return backend.open(parsed.location, opts);
}
