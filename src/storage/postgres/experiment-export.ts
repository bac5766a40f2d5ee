/**
 * The PostgreSQL half of the experiment export: the SQLite pages (sqlite-experiment-export.ts) in
 * PostgreSQL's dialect, keyset-paged on the same keys, so a fleet's warehouse export reads the
 * shared tables one short page at a time, asynchronously.
 */
import { firstPerUnit, mergeMinuteRows, minuteBounds } from '../experiment-export-rows.js';
import type { GoalMinuteRow, MinutePage, MinutePageQuery, UnitPage, UnitPageQuery, UnitRow } from '../experiment-types.js';
import type { PgDatabase } from './pool.js';

/**
 * The two page readers on a migrated database.
 * @example const x = createPgExperimentExport(db); await x.exportMinutes({ route: 'product', after: -1, since: 0, limit: 60 })
 */
export function createPgExperimentExport(db: PgDatabase) {
  const [units, events] = [db.t('experiment_units'), db.t('experiment_events')];
  return {
    exportUnits: (q: UnitPageQuery): Promise<UnitPage> =>
      db.tx(async (sql) => {
        const keys = (
          await sql<{ unit: string }>(`SELECT DISTINCT unit FROM ${units} WHERE route = $1 AND unit > $2 ORDER BY unit LIMIT $3`, [
            q.route,
            q.after,
            q.limit,
          ])
        ).map((r) => r.unit);
        if (keys.length === 0) return { units: [], goals: [], next: undefined };
        const range = [q.route, keys[0]!, keys[keys.length - 1]!];
        const rows = await sql<Omit<UnitRow, 'arms'>>(
          `SELECT unit, arm, first_at AS "firstAt", weights FROM ${units}
           WHERE route = $1 AND unit BETWEEN $2 AND $3 ORDER BY unit, first_at, arm`,
          range,
        );
        const found = firstPerUnit(rows, q.since);
        const kept = new Set(found.map((u) => u.unit));
        const sums = await sql<UnitPage['goals'][number]>(
          `WITH f AS (SELECT unit, min(first_at) AS first_at FROM ${units} WHERE route = $1 AND unit BETWEEN $2 AND $3 GROUP BY unit)
           SELECT e.unit, e.goal, sum(e.count) AS count, sum(e.value) AS value
           FROM ${events} e JOIN f ON f.unit = e.unit
           WHERE e.route = $1 AND e.goal = ANY($4::text[]) AND e.unit BETWEEN $2 AND $3
             AND e.minute + 60000 > f.first_at AND (left(e.goal, 1) = '$' OR e.minute <= f.first_at + $5::bigint)
           GROUP BY e.unit, e.goal ORDER BY e.unit, e.goal`,
          [...range, q.goals, q.windowMs],
        );
        return {
          units: found,
          goals: sums.filter((g) => kept.has(g.unit)).map((g) => ({ ...g, count: Number(g.count), value: Number(g.value) })),
          next: keys.length < q.limit ? undefined : range[2],
        };
      }),
    exportMinutes: (q: MinutePageQuery): Promise<MinutePage> =>
      db.tx(async (sql) => {
        const b = minuteBounds(q);
        const minutes = (
          await sql<{ minute: number }>(
            `SELECT DISTINCT minute FROM ${events} WHERE route = $1 AND minute >= $2 ORDER BY minute LIMIT $3`,
            [q.route, b.from, q.limit],
          )
        ).map((r) => Number(r.minute));
        const last = minutes.length < q.limit;
        const hi = minutes.length > 0 ? minutes[minutes.length - 1]! : b.from;
        const evs =
          minutes.length === 0
            ? []
            : await sql<GoalMinuteRow>(
                `SELECT e.minute,
                   coalesce((SELECT x.arm FROM ${units} x WHERE x.route = e.route AND x.unit = e.unit
                             ORDER BY x.first_at, x.arm LIMIT 1), '') AS arm,
                   e.goal, sum((e.unit <> '')::int) AS units, sum(e.count) AS count, sum(e.value) AS value
                 FROM ${events} e WHERE e.route = $1 AND e.minute BETWEEN $2 AND $3
                 GROUP BY e.minute, 2, e.goal`,
                [q.route, minutes[0], hi],
              );
        const exposed = await sql<GoalMinuteRow>(
          `SELECT first_at - (first_at % 60000) AS minute, arm, '$exposures' AS goal, count(*) AS units, count(*) AS count, 0 AS value
           FROM ${units} WHERE route = $1 AND first_at >= $2 AND first_at < $3 GROUP BY 1, arm`,
          [q.route, b.from, last ? Number.MAX_SAFE_INTEGER : hi + 60_000],
        );
        return { rows: mergeMinuteRows(evs, exposed), next: last ? undefined : hi };
      }),
  };
}
