/**
 * The PostgreSQL backend as `openStore` sees it: one pool per store (`store.pool` connections),
 * migrated on open, both repositories on it. Every replica of a fleet opens the same database, so
 * reports, rollups and the decision log are fleet-wide whichever replica reads them.
 */
import { buildReport } from '../../compare/report.js';
import type { StoreBackend } from '../open.js';
import type { DiffStore, Stores } from '../types.js';
import { createPgDiffStore } from './diffs.js';
import { createPgExperimentStore } from './experiments.js';
import { createPgGuardrailStore } from './guardrails.js';
import { createPgRecordStore } from './records.js';
import { migratePostgres } from './migrations.js';
import { createPgDatabase } from './pool.js';
import { parsePostgresUrl } from './url.js';

/**
 * Opens `postgres://` locations.
 * @example const stores = await postgresBackend.open({ kind: 'postgres', url }, { pool: 10 })
 */
export const postgresBackend: StoreBackend = {
  async open(location, opts): Promise<Stores> {
    const target = parsePostgresUrl(location.url);
    if ('error' in target) throw new Error(`store ${location.url}: ${target.error}`);
    // Idle connections die when the server restarts; the next query reconnects, and batch writes
    // that fail are dropped and counted by their callers.
    const db = createPgDatabase(target, { max: opts.pool ?? 10, applicationName: 'fieldlab-store', onError: () => undefined });
    try {
      await migratePostgres(db);
    } catch (err) {
      await db.close();
      throw err;
    }
    const raw = createPgDiffStore(db, opts);
    const diffs: DiffStore = { ...raw, report: async (q) => buildReport(await raw.rows(q.filter), q.filter, {}, q.page) };
    let closed: Promise<void> | undefined;
    return {
      diffs,
      guardrails: createPgGuardrailStore(db),
      experiments: createPgExperimentStore(db),
      records: createPgRecordStore(db),
      close: () => (closed ??= db.close()),
    };
  },
};
