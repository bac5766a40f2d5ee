/** Opens the app's stores: a role's own (a worker on SQLite reaches the primary's), else `store.url`, waited for. */
import type { ProcessRole } from '../cluster/role.js';
import type { RawConfig } from '../config/schema.js';
import { waitForStore } from '../admin/starting-server.js';
import { openStore } from '../storage/open.js';
import { prepareStorePath, storeOpenError } from '../storage/prepare-path.js';
import type { Stores } from '../storage/types.js';
import type { Logger } from '../telemetry/logger.js';

/**
 * The path is checked first, and any failure names store.url and the path (ops: FL_STORE_OPEN).
 * @example const stores = await openAppStores(config.current().config, opts.role, log)
 */
export function openAppStores(cfg: RawConfig, role: ProcessRole | undefined, log: Logger): Promise<Stores> {
  return Promise.resolve()
    .then(() => {
      const own = role?.openStores?.(cfg.store.url);
      if (own) return own;
      prepareStorePath(cfg.store.url);
      // A PostgreSQL store that is not reachable yet is waited for (not ready, no traffic), see waitForStore.
      return waitForStore(cfg.store.url, () => openStore(cfg.store.url, { pool: cfg.store.pool, queue: cfg.store.queue }), {
        // A worker has no admin listener: its primary answers the probes.
        listens: role?.admin === false ? [] : [cfg.admin.listen, ...(cfg.metrics ? [cfg.metrics.listen] : [])],
        log,
      });
    })
    .catch((err: unknown) => {
      throw storeOpenError(cfg.store.url, err);
    });
}
