/**
 * Backend-neutral steps of the export's pages (sqlite-experiment-export.ts, postgres/experiment-export.ts):
 * the first exposure per unit from its exposure rows, the minute range a page starts at, and the
 * merged order of minute rows — so both backends page and order exactly alike.
 */
import type { GoalMinuteRow, MinutePageQuery, UnitRow } from './experiment-types.js';

/**
 * Each unit's first exposure (rows ordered by unit, time, arm) and how many arms it was seen in,
 * keeping units first exposed at or after `since`.
 * @example firstPerUnit([{ unit: 'a', arm: 'control', firstAt: 1, weights: '50,50' }], 0) // [{ …, arms: 1 }]
 */
export function firstPerUnit(rows: readonly Omit<UnitRow, 'arms'>[], since: number): UnitRow[] {
  const out: UnitRow[] = [];
  let cur: { -readonly [K in keyof UnitRow]: UnitRow[K] } | undefined;
  for (const r of rows) {
    if (cur?.unit === r.unit) {
      cur.arms++;
      continue;
    }
    if (cur && cur.firstAt >= since) out.push(cur);
    cur = { unit: r.unit, arm: r.arm, firstAt: Number(r.firstAt), weights: r.weights, arms: 1 };
  }
  if (cur && cur.firstAt >= since) out.push(cur);
  return out;
}

/**
 * Where a minute page starts: the minute after the cursor, and not before `since` (rounded up to
 * a minute, so a minute is in or out whole).
 * @example minuteBounds({ after: -1, since: 90_000 }) // { from: 120_000 }
 */
export function minuteBounds(q: Pick<MinutePageQuery, 'after' | 'since'>): { from: number } {
  const since = Math.ceil(Math.max(0, q.since) / 60_000) * 60_000;
  return { from: Math.max(q.after < 0 ? 0 : q.after + 60_000, since) };
}

/**
 * Event and exposure rows of a page in one order: minute, arm, goal; numbers as numbers (PostgreSQL
 * hands sums back as numerics).
 * @example mergeMinuteRows(eventRows, exposureRows)
 */
export function mergeMinuteRows(events: readonly GoalMinuteRow[], exposures: readonly GoalMinuteRow[]): GoalMinuteRow[] {
  const rows = [...events, ...exposures].map((r) => ({
    minute: Number(r.minute),
    arm: r.arm,
    goal: r.goal,
    units: Number(r.units),
    count: Number(r.count),
    value: Number(r.value),
  }));
  return rows.sort((a, b) => a.minute - b.minute || cmp(a.arm, b.arm) || cmp(a.goal, b.goal));
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
