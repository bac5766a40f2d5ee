/**
 * Opens the store named by the config's `store.url`. Only `sqlite:` exists today; a `postgres://`
 * store for fleets will plug in here behind the same DiffStore interface.
 */
import { resolve } from 'node:path';
import { openSqliteStore } from './sqlite.js';
import type { DiffStore } from './types.js';

/**
 * Opens `sqlite:PATH` (relative to the working directory) or `sqlite::memory:`.
 * @example const store = openStore('sqlite:./data/fieldlab.db')
 */
export function openStore(url: string): DiffStore {
  const path = url.slice('sqlite:'.length);
  return openSqliteStore(path === ':memory:' ? ':memory:' : resolve(path));
}
