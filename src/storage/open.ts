/**
 * Opens the store named by the config's `store.url`. Only `sqlite:` exists today; a `postgres://`
 * store for fleets will plug in here behind the same DiffStore interface.
 */
import { resolve } from 'node:path';
import { openSqliteStores, type SqliteStores } from './sqlite.js';

/**
 * Opens `sqlite:PATH` (relative to the working directory) or `sqlite::memory:`.
 * @example const { diffs, guardrails, close } = openStore('sqlite:./data/fieldlab.db')
 */
export function openStore(url: string): SqliteStores {
  const path = url.slice('sqlite:'.length);
  return openSqliteStores(path === ':memory:' ? ':memory:' : resolve(path));
}
