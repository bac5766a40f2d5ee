/**
 * The PostgreSQL DiffStore: what the SQLite one does, on a database a fleet of replicas shares, so a
 * report read from any replica covers what every replica compared. Written only by the diff
 * batcher's timer, never per request; every call is a query on the pool, off the proxy's event loop.
 */
import type { DiffStoreLimits } from '../types.js';
import { createPgDiffReader } from './diffs-read.js';
import { createPgDiffWriter } from './diffs-write.js';
import type { PgDatabase } from './pool.js';
import { pruneProfiles, readProfiles } from './profiles.js';

/** Aggregate tables pruned by hour. */
const HOURLY_TABLES = ['diff_pairs', 'diff_fields', 'diff_noise', 'diff_statuses', 'diff_latency', 'diff_deltas', 'diff_skips'];

/**
 * The repository on a migrated database (the backend closes the pool, not `close`).
 * @example const diffs = createPgDiffStore(db); await diffs.write(batch); await diffs.rows({})
 */
export function createPgDiffStore(db: PgDatabase, opts: DiffStoreLimits = {}) {
  const maxExamples = opts.maxExamples ?? 5000;
  const write = createPgDiffWriter(db, opts.maxExamplesPerSignature ?? 3);
  const read = createPgDiffReader(db);
  const ex = db.t('diff_examples');
  return {
    write,
    rows: read.rows,
    examples: read.examples,
    profiles: (route: string, since: number) => readProfiles(db, route, since),
    prune: (before: number): Promise<number> =>
      db.tx(async (q) => {
        let deleted = 0;
        const count = async (sql: string, params: unknown[]) =>
          (await q<{ n: number }>(`WITH gone AS (${sql} RETURNING 1) SELECT count(*) AS n FROM gone`, params))[0]!.n;
        for (const t of HOURLY_TABLES) deleted += await count(`DELETE FROM ${db.t(t)} WHERE hour < $1`, [before]);
        deleted += await count(`DELETE FROM ${ex} WHERE at < $1`, [before]);
        deleted += await pruneProfiles(q, db, before);
        deleted += await count(
          `DELETE FROM ${ex} WHERE id IN (SELECT id FROM ${ex} ORDER BY at, id
             LIMIT GREATEST(0, (SELECT count(*) FROM ${ex}) - $1::bigint))`,
          [maxExamples],
        );
        return deleted;
      }),
    close: async (): Promise<void> => undefined,
  };
}
