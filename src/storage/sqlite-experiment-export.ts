/**
 * The SQLite half of the experiment export (experiments/export.ts): pages of per-unit and
 * per-minute rows, run in the store's worker thread. Pages are keyset ranges on the primary keys'
 * indexes — units by key, minutes by time — so each page costs the same however deep into the
 * experiment it is, and the worker is busy one short page at a time, never for a whole export.
 */
import type BetterSqlite3 from 'better-sqlite3';
import type { GoalMinuteRow, MinutePage, MinutePageQuery, UnitPage, UnitPageQuery } from './experiment-types.js';
import { firstPerUnit, mergeMinuteRows, minuteBounds } from './experiment-export-rows.js';

type UnitRaw = { unit: string; arm: string; firstAt: number; weights: string };
type GoalRaw = UnitPage['goals'][number];

/**
 * The two page readers over an open, migrated database (synchronous: the worker runs them).
 * @example const x = createSqliteExperimentExport(db); x.exportUnits({ route: 'product', goals: ['$requests'], windowMs, after: '', since: 0, limit: 1000 })
 */
export function createSqliteExperimentExport(db: BetterSqlite3.Database) {
  const unitKeys = db
    .prepare<{ route: string; after: string; limit: number }, string>(
      'SELECT DISTINCT unit FROM experiment_units WHERE route = @route AND unit > @after ORDER BY unit LIMIT @limit',
    )
    .pluck();
  const exposures = db.prepare<{ route: string; lo: string; hi: string }, UnitRaw>(
    `SELECT unit, arm, first_at AS firstAt, weights FROM experiment_units
     WHERE route = @route AND unit BETWEEN @lo AND @hi ORDER BY unit, first_at, arm`,
  );
  // The window rule of the analysis (sqlite-experiments.ts), per unit instead of per arm. CROSS JOIN
  // fixes the loop order SQLite's planner would not pick without statistics: per page unit and goal,
  // one lookup on the events' (route, goal, unit) key, never a scan of the route's events.
  const goals = db.prepare<{ route: string; lo: string; hi: string; goals: string; window: number }, GoalRaw>(
    `WITH f AS (SELECT unit, min(first_at) AS first_at FROM experiment_units
                WHERE route = @route AND unit BETWEEN @lo AND @hi GROUP BY unit)
     SELECT e.unit, e.goal, sum(e.count) AS count, sum(e.value) AS value
     FROM f CROSS JOIN json_each(@goals) g
       CROSS JOIN experiment_events e ON e.route = @route AND e.goal = g.value AND e.unit = f.unit
     WHERE e.minute + 60000 > f.first_at AND (substr(e.goal, 1, 1) = '$' OR e.minute <= f.first_at + @window)
     GROUP BY e.unit, e.goal ORDER BY e.unit, e.goal`,
  );
  const minuteKeys = db
    .prepare<{ route: string; from: number; limit: number }, number>(
      'SELECT DISTINCT minute FROM experiment_events WHERE +route = @route AND minute >= @from ORDER BY minute LIMIT @limit',
    )
    .pluck();
  // `+route`: the minute index, not the route's whole key range, bounds each page's rows. The arm of
  // the unit's first exposure is looked up per event row on the (route, unit, arm) key.
  const minuteEvents = db.prepare<{ route: string; lo: number; hi: number }, GoalMinuteRow>(
    `SELECT e.minute AS minute,
       coalesce((SELECT x.arm FROM experiment_units x WHERE x.route = e.route AND x.unit = e.unit
                 ORDER BY x.first_at, x.arm LIMIT 1), '') AS arm,
       e.goal AS goal, sum(e.unit <> '') AS units, sum(e.count) AS count, sum(e.value) AS value
     FROM experiment_events e WHERE +e.route = @route AND e.minute BETWEEN @lo AND @hi
     GROUP BY e.minute, arm, e.goal`,
  );
  const minuteExposures = db.prepare<{ route: string; lo: number; end: number }, GoalMinuteRow>(
    `SELECT first_at - (first_at % 60000) AS minute, arm, '$exposures' AS goal, count(*) AS units, count(*) AS count, 0 AS value
     FROM experiment_units WHERE +route = @route AND first_at >= @lo AND first_at < @end GROUP BY minute, arm`,
  );

  return {
    exportUnits: db.transaction((q: UnitPageQuery): UnitPage => {
      const keys = unitKeys.all({ route: q.route, after: q.after, limit: q.limit });
      if (keys.length === 0) return { units: [], goals: [], next: undefined };
      const range = { route: q.route, lo: keys[0]!, hi: keys[keys.length - 1]! };
      const units = firstPerUnit(exposures.all(range), q.since);
      const kept = new Set(units.map((u) => u.unit));
      const sums = goals.all({ ...range, goals: JSON.stringify(q.goals), window: q.windowMs }).filter((g) => kept.has(g.unit));
      return { units, goals: sums, next: keys.length < q.limit ? undefined : range.hi };
    }),
    exportMinutes: db.transaction((q: MinutePageQuery): MinutePage => {
      const b = minuteBounds(q);
      const minutes = minuteKeys.all({ route: q.route, from: b.from, limit: q.limit });
      const last = minutes.length < q.limit;
      const hi = minutes.length > 0 ? minutes[minutes.length - 1]! : b.from;
      const events = minutes.length > 0 ? minuteEvents.all({ route: q.route, lo: minutes[0]!, hi }) : [];
      const exposed = minuteExposures.all({ route: q.route, lo: b.from, end: last ? Number.MAX_SAFE_INTEGER : hi + 60_000 });
      return { rows: mergeMinuteRows(events, exposed), next: last ? undefined : hi };
    }),
  };
}
