/**
 * The SQLite backend as `openStore` sees it: in a worker thread by default (the proxy), or in this
 * thread with `worker: false` (the CLI, which has no proxy loop to protect).
 */
import type { StoreBackend } from './open.js';

/** Opens `sqlite:` locations. */
export const sqliteBackend: StoreBackend = {
  async open(location, opts) {
    if (location.kind !== 'sqlite') throw new Error(`sqlite backend cannot open ${location.url}`);
    if (opts.worker === false) return (await import('./sqlite.js')).openSqliteStores(location.file, opts);
    return (await import('./sqlite-client.js')).openSqliteWorkerStores(location.file, opts);
  },
};
