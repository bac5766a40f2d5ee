/**
 * The SQLite backend as `openStore` sees it.
 */
import type { StoreBackend } from './open.js';
import { openSqliteStores } from './sqlite.js';

/** Opens `sqlite:` locations. */
export const sqliteBackend: StoreBackend = {
  async open(location, opts) {
    if (location.kind !== 'sqlite') throw new Error(`sqlite backend cannot open ${location.url}`);
    return openSqliteStores(location.file, opts);
  },
};
