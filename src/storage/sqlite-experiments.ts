/**
 * The SQLite ExperimentStore, on the same database file as the other repositories. The analysis
 * query runs in the store's worker thread: first exposures, per-unit goal sums within the window
 * and their per-arm sums of squares are all computed in SQL.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { ExperimentBatch, ExperimentStore, ExperimentSums, GoalArmSums } from './experiment-types.js';
import { exposureSetSql, parseExposureSets } from './exposure-sets.js';
import { createSqliteExperimentExport } from './sqlite-experiment-export.js';
import type { Sync } from './sync.js';

// The arm a unit counts in is the one it was exposed to first (ties: arm name), as analysed.
const FIRST = `SELECT unit, arm, first_at, weights FROM (
  SELECT unit, arm, first_at, weights, ROW_NUMBER() OVER (PARTITION BY unit ORDER BY first_at, arm) AS rn
  FROM experiment_units WHERE route = @route) WHERE rn = 1`;

/**
 * Creates the experiments repository over an open, migrated database.
 * @example const x = createSqliteExperimentStore(openDatabase('data/fieldlab.db'))
 */
export function createSqliteExperimentStore(db: BetterSqlite3.Database): Sync<ExperimentStore> {
  const upsertUnit = db.prepare(
    `INSERT INTO experiment_units (route, unit, arm, first_at, weights) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT(route, unit, arm) DO UPDATE SET first_at = excluded.first_at, weights = excluded.weights
     WHERE excluded.first_at < experiment_units.first_at`,
  );
  const upsertEvent = db.prepare(
    `INSERT INTO experiment_events (route, goal, unit, minute, count, value) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(route, goal, unit, minute) DO UPDATE SET count = count + excluded.count, value = value + excluded.value`,
  );
  const write = db.transaction((batch: ExperimentBatch) => {
    for (const x of batch.exposures) upsertUnit.run(x.route, x.unit, x.arm, x.at, x.weights);
    for (const e of batch.events) upsertEvent.run(e.route, e.goal, e.unit, e.minute, e.count, e.value);
  });
  const started = db.prepare<{ route: string }, number | null>('SELECT min(first_at) FROM experiment_units WHERE route = @route').pluck();
  const arms = db.prepare<{ route: string }, { arm: string; weights: string; units: number }>(
    `SELECT arm, weights, count(*) AS units FROM (${FIRST}) GROUP BY arm, weights ORDER BY arm, weights`,
  );
  const sets = db.prepare<{ route: string }, { sig: string; units: number }>(
    `SELECT sig, count(*) AS units FROM (
       SELECT ${exposureSetSql('group_concat', 'char')} AS sig FROM experiment_units WHERE route = @route GROUP BY unit)
     GROUP BY sig`,
  );
  // An event counts when its minute overlaps [first exposure, first exposure + window]; vital signs
  // ($-goals) count whenever the unit is exposed.
  const goals = db.prepare<{ route: string; window: number }, GoalArmSums>(
    `WITH f AS (${FIRST}),
     u AS (SELECT e.goal, f.arm, e.unit, sum(e.count) AS c, sum(e.value) AS v
           FROM experiment_events e JOIN f ON f.unit = e.unit
           WHERE e.route = @route AND e.minute + 60000 > f.first_at
             AND (substr(e.goal, 1, 1) = '$' OR e.minute <= f.first_at + @window)
           GROUP BY e.goal, f.arm, e.unit)
     SELECT goal, arm, count(*) AS units, sum(c) AS count, sum(c * c) AS countSq, sum(v) AS value, sum(v * v) AS valueSq
     FROM u GROUP BY goal, arm ORDER BY goal, arm`,
  );
  const traffic = db.prepare<{ route: string }, { total: number | null; withoutKey: number | null; unexposed: number | null }>(
    `SELECT sum(e.count) AS total, sum(CASE WHEN e.unit = '' THEN e.count ELSE 0 END) AS withoutKey,
       sum(CASE WHEN e.unit <> '' AND NOT EXISTS (SELECT 1 FROM experiment_units x WHERE x.route = e.route AND x.unit = e.unit)
           THEN e.count ELSE 0 END) AS unexposed
     FROM experiment_events e WHERE e.route = @route AND substr(e.goal, 1, 1) <> '$'`,
  );
  const pruneUnits = db.prepare('DELETE FROM experiment_units WHERE first_at < ?');
  const pruneEvents = db.prepare('DELETE FROM experiment_events WHERE minute < ?');
  const read = db.transaction((route: string, window: number): ExperimentSums => {
    const t = traffic.get({ route })!;
    return {
      startedAt: started.get({ route }) ?? undefined,
      arms: arms.all({ route }),
      exposureSets: parseExposureSets(sets.all({ route })),
      goals: goals.all({ route, window }),
      goalRequests: { total: t.total ?? 0, withoutKey: t.withoutKey ?? 0, unexposed: t.unexposed ?? 0 },
    };
  });

  const exporter = createSqliteExperimentExport(db);

  return {
    ...exporter,
    writeExperiments: (batch) => write.immediate(batch),
    experimentSums: (route, windowMs) => read(route, windowMs),
    pruneExperiments: (before) => pruneUnits.run(before).changes + pruneEvents.run(before).changes,
  };
}
