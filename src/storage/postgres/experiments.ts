/**
 * The PostgreSQL ExperimentStore, shared by every replica: a unit exposed on two replicas keeps its
 * earliest exposure, and goal events of several replicas add up in SQL, so results are fleet-wide
 * whichever replica reads them. The analysis query is the SQLite one in PostgreSQL's dialect.
 */
import type { ExperimentBatch, ExperimentSums, ExposureRow, GoalArmSums } from '../experiment-types.js';
import { exposureSetSql, parseExposureSets } from '../exposure-sets.js';
import { sumBy } from './diffs-write.js';
import { createPgExperimentExport } from './experiment-export.js';
import type { PgDatabase } from './pool.js';

/**
 * The repository on a migrated database.
 * @example const x = createPgExperimentStore(db); await x.experimentSums('product', 72 * 3_600_000)
 */
export function createPgExperimentStore(db: PgDatabase) {
  const [units, events] = [db.t('experiment_units'), db.t('experiment_events')];
  const first = `SELECT unit, arm, first_at, weights FROM (
    SELECT unit, arm, first_at, weights, row_number() OVER (PARTITION BY unit ORDER BY first_at, arm) AS rn
    FROM ${units} WHERE route = $1) r WHERE rn = 1`;
  return {
    ...createPgExperimentExport(db),
    async writeExperiments(batch: ExperimentBatch): Promise<void> {
      if (batch.exposures.length === 0 && batch.events.length === 0) return;
      // One row per key per statement (ON CONFLICT may not touch a row twice).
      const earliest = new Map<string, ExposureRow>();
      for (const x of batch.exposures) {
        const k = `${x.route}\u0000${x.unit}\u0000${x.arm}`;
        const seen = earliest.get(k);
        if (!seen || x.at < seen.at) earliest.set(k, x);
      }
      const ev = sumBy(batch.events, ['route', 'goal', 'unit', 'minute'], ['count', 'value']);
      await db.tx(async (q) => {
        if (earliest.size > 0) {
          await q(
            `INSERT INTO ${units} AS u (route, unit, arm, first_at, weights)
             SELECT route, unit, arm, at, weights FROM jsonb_to_recordset($1::jsonb) AS r(route text, unit text, arm text, at bigint, weights text)
             ON CONFLICT (route, unit, arm) DO UPDATE SET first_at = excluded.first_at, weights = excluded.weights
             WHERE excluded.first_at < u.first_at`,
            [JSON.stringify([...earliest.values()])],
          );
        }
        if (ev.length > 0) {
          await q(
            `INSERT INTO ${events} AS e (route, goal, unit, minute, count, value)
             SELECT route, goal, unit, minute, count, value
             FROM jsonb_to_recordset($1::jsonb) AS r(route text, goal text, unit text, minute bigint, count bigint, value double precision)
             ON CONFLICT (route, goal, unit, minute) DO UPDATE SET count = e.count + excluded.count, value = e.value + excluded.value`,
            [JSON.stringify(ev)],
          );
        }
      });
    },
    async experimentSums(route: string, windowMs: number): Promise<ExperimentSums> {
      return db.tx(async (q) => {
        const [s] = await q<{ at: number | null }>(`SELECT min(first_at) AS at FROM ${units} WHERE route = $1`, [route]);
        const arms = await q<{ arm: string; weights: string; units: number }>(
          `SELECT arm, weights, count(*) AS units FROM (${first}) f GROUP BY arm, weights ORDER BY arm, weights`,
          [route],
        );
        const sets = await q<{ sig: string; units: number }>(
          `SELECT sig, count(*) AS units FROM (
             SELECT ${exposureSetSql('string_agg', 'chr')} AS sig FROM ${units} WHERE route = $1 GROUP BY unit) m
           GROUP BY sig`,
          [route],
        );
        const goals = await q<GoalArmSums>(
          `WITH f AS (${first}),
           u AS (SELECT e.goal, f.arm, e.unit, sum(e.count) AS c, sum(e.value) AS v
                 FROM ${events} e JOIN f ON f.unit = e.unit
                 WHERE e.route = $1 AND e.minute + 60000 > f.first_at
                   AND (left(e.goal, 1) = '$' OR e.minute <= f.first_at + $2::bigint)
                 GROUP BY e.goal, f.arm, e.unit)
           SELECT goal, arm, count(*) AS units, sum(c) AS count, sum(c * c) AS "countSq", sum(v) AS value, sum(v * v) AS "valueSq"
           FROM u GROUP BY goal, arm ORDER BY goal, arm`,
          [route, windowMs],
        );
        const [t] = await q<{ total: number | null; without: number | null; unexposed: number | null }>(
          `SELECT sum(e.count) AS total, sum(CASE WHEN e.unit = '' THEN e.count ELSE 0 END) AS without,
             sum(CASE WHEN e.unit <> '' AND NOT EXISTS (SELECT 1 FROM ${units} x WHERE x.route = e.route AND x.unit = e.unit)
                 THEN e.count ELSE 0 END) AS unexposed
           FROM ${events} e WHERE e.route = $1 AND left(e.goal, 1) <> '$'`,
          [route],
        );
        return {
          startedAt: s?.at ?? undefined,
          arms,
          exposureSets: parseExposureSets(sets),
          goals,
          goalRequests: { total: t?.total ?? 0, withoutKey: t?.without ?? 0, unexposed: t?.unexposed ?? 0 },
        };
      });
    },
    pruneExperiments: (before: number): Promise<number> =>
      db.tx(async (q) => {
        const gone = async (t: string, col: string) =>
          (await q<{ n: number }>(`WITH g AS (DELETE FROM ${t} WHERE ${col} < $1 RETURNING 1) SELECT count(*) AS n FROM g`, [before]))[0]!
            .n;
        return (await gone(units, 'first_at')) + (await gone(events, 'minute'));
      }),
  };
}
