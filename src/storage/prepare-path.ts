/**
 * Makes sure a SQLite store's directory exists and is writable before the database is opened, and
 * says which path and which config key when it isn't. Without this a read-only root filesystem
 * surfaces as SQLite's bare "unable to open database file", and a path under /proc sends Node's
 * recursive mkdir into an endless loop at 100% CPU with no log line (it keeps retrying a parent
 * that reports ENOENT after being "created"). So the directories are made one level at a time, each
 * checked, with a bound on the depth.
 *
 * Seam note (ops): called by the composition root right before the store opens; the store itself
 * (storage/db.ts, owned by the storage layer) is unchanged.
 */
import { accessSync, constants, mkdirSync, statSync } from 'node:fs';
import { dirname, parse, resolve } from 'node:path';
import { FL_STORE_OPEN } from '../errors.js';

/** A store that can't be opened: the message names the path, the config key and a way out. */
export class StoreOpenError extends Error {
  readonly code = FL_STORE_OPEN.code;
  constructor(
    readonly url: string,
    readonly path: string,
    reason: string,
  ) {
    // A PostgreSQL store gets here only for what a retry cannot fix (an unreachable server is waited for).
    const hint = /^postgres(?:ql)?:/.test(url)
      ? 'Check the user, password, database and privileges in store.url (an unreachable server is waited for, not this).'
      : 'Point store.url at a writable directory, e.g. a volume mounted at /app/data, or use a PostgreSQL store.';
    super(`${FL_STORE_OPEN.code}: cannot open store.url "${url}": ${reason} (${path}). ${hint}`);
  }
}

const MAX_DEPTH = 64;

/**
 * Wraps whatever opening the store threw (SQLite's "unable to open database file", a PostgreSQL
 * connection error) so it names the config key and the path; a StoreOpenError passes through.
 * @example try { openStore(url) } catch (err) { throw storeOpenError(url, err) }
 */
export function storeOpenError(url: string, err: unknown): Error {
  if (err instanceof StoreOpenError) return err;
  const file = url.startsWith('sqlite:') ? url.slice('sqlite:'.length) : undefined;
  const path = file === undefined || file === ':memory:' ? url.replace(/\/\/[^@/]*@/, '//***@') : resolve(file);
  return new StoreOpenError(url.replace(/\/\/[^@/]*@/, '//***@'), path, err instanceof Error ? err.message : String(err));
}

/**
 * Ensures the directory of `sqlite:PATH` exists and is writable; throws StoreOpenError otherwise.
 * A no-op for `sqlite::memory:` and for non-SQLite URLs.
 * @example prepareStorePath('sqlite:./data/fieldlab.db') // creates ./data when missing
 */
export function prepareStorePath(url: string): void {
  if (!url.startsWith('sqlite:')) return;
  const file = url.slice('sqlite:'.length);
  if (file === ':memory:' || file === '') return;
  const path = resolve(file);
  const dir = dirname(path);
  // Walk up to the nearest existing ancestor, then create downwards one level at a time.
  const missing: string[] = [];
  let at = dir;
  for (let i = 0; !exists(at); i++) {
    if (i > MAX_DEPTH || at === parse(at).root) throw new StoreOpenError(url, path, 'no existing parent directory');
    missing.unshift(at);
    at = dirname(at);
  }
  if (!statSync(at).isDirectory()) throw new StoreOpenError(url, path, `${at} is not a directory`);
  for (const d of missing) {
    try {
      mkdirSync(d);
    } catch (err) {
      throw new StoreOpenError(url, path, `cannot create directory ${d}: ${(err as NodeJS.ErrnoException).code ?? String(err)}`);
    }
    if (!exists(d)) throw new StoreOpenError(url, path, `directory ${d} did not appear after creating it`);
  }
  try {
    accessSync(dir, constants.W_OK);
  } catch (err) {
    throw new StoreOpenError(
      url,
      path,
      `directory ${dir} is not writable (${(err as NodeJS.ErrnoException).code ?? 'EACCES'}; read-only filesystem?)`,
    );
  }
}

function exists(p: string): boolean {
  try {
    statSync(p);
    return true;
  } catch {
    return false;
  }
}
