/**
 * The experiment export for a warehouse: per unit (its first exposure, arms seen, vital signs and
 * each goal's per-unit outcome as the analysis uses it) or per minute (units, events and value per
 * arm and goal), as CSV or JSON lines. Produced page by page from the store (keyset pages of 1,000
 * units or 60 minutes), so memory holds one page whatever the experiment's size; the caller writes
 * each chunk with backpressure before asking for the next.
 */
import type { ExperimentStore } from '../storage/experiment-types.js';
import { csvLine } from './csv.js';
import type { ExperimentSpec } from './spec.js';

/** What a row is. */
export type ExportBy = 'unit' | 'minute';
/** How rows are written. */
export type ExportFormat = 'csv' | 'jsonl';

/** One export. */
export interface ExportQuery {
  readonly by: ExportBy;
  readonly format: ExportFormat;
  /** Units first exposed (by: unit) or minutes (by: minute) at or after this epoch ms. */
  readonly since: number;
}

/** Vital signs per unit: stored goal name → column. */
const VITALS = [
  ['$requests', 'requests', 'count'],
  ['$errors', 'errors', 'count'],
  ['$requests', 'latency_ms_total', 'value'],
] as const;

/** Column names of a per-minute export. */
export const MINUTE_COLUMNS = ['route', 'minute', 'arm', 'metric', 'units', 'count', 'value'] as const;

/**
 * Column names of a per-unit export of `spec`: fixed columns, vital signs, one `goal_NAME` per goal.
 * @example unitColumns(spec) // ['route', 'unit', 'arm', 'first_exposure', 'weights', 'arms_seen', 'requests', 'errors', 'latency_ms_total', 'goal_checkout']
 */
export function unitColumns(spec: ExperimentSpec): string[] {
  return [
    'route',
    'unit',
    'arm',
    'first_exposure',
    'weights',
    'arms_seen',
    ...VITALS.map((v) => v[1]),
    ...spec.goals.map((g) => `goal_${g.name}`),
  ];
}

/**
 * The export as text chunks (the CSV header, then one chunk per page).
 * @example for await (const chunk of exportChunks(store, spec, { by: 'unit', format: 'csv', since: 0 })) out.write(chunk)
 */
export async function* exportChunks(
  store: Pick<ExperimentStore, 'exportUnits' | 'exportMinutes'>,
  spec: ExperimentSpec,
  q: ExportQuery,
  pages: { units?: number; minutes?: number } = {},
): AsyncGenerator<string> {
  if (q.by === 'unit') yield* unitChunks(store, spec, q, pages.units ?? 1000);
  else yield* minuteChunks(store, spec, q, pages.minutes ?? 60);
}

async function* unitChunks(store: Pick<ExperimentStore, 'exportUnits'>, spec: ExperimentSpec, q: ExportQuery, limit: number) {
  // The header goes out with the first page: a store that fails at once still gets a coded error.
  let head = q.format === 'csv' ? csvLine(unitColumns(spec)) : '';
  const goalNames = [...new Set([...VITALS.map((v) => v[0]), ...spec.goals.map((g) => g.name)])];
  let after: string | undefined = '';
  while (after !== undefined) {
    const page = await store.exportUnits({
      route: spec.route,
      goals: goalNames,
      windowMs: spec.config.window,
      after,
      since: q.since,
      limit,
    });
    const sums = new Map<string, { count: number; value: number }>();
    for (const g of page.goals) sums.set(`${g.unit}\u0000${g.goal}`, g);
    let text = head;
    head = '';
    for (const u of page.units) {
      const of = (goal: string) => sums.get(`${u.unit}\u0000${goal}`);
      const vitals = VITALS.map(([goal, , field]) => of(goal)?.[field] ?? 0);
      // The per-unit outcome the analysis uses: converted (0/1), how often, or the value's sum.
      const outcomes = spec.goals.map((g) => {
        const s = of(g.name);
        return g.kind === 'conversion' ? (s && s.count > 0 ? 1 : 0) : g.kind === 'count' ? (s?.count ?? 0) : (s?.value ?? 0);
      });
      const firstExposure = new Date(u.firstAt).toISOString();
      if (q.format === 'csv') {
        text += csvLine([spec.route, u.unit, u.arm, firstExposure, u.weights, u.arms, ...vitals, ...outcomes]);
      } else {
        const goals = Object.fromEntries(spec.goals.map((g, i) => [g.name, outcomes[i]]));
        const [requests, errors, latencyMsTotal] = vitals;
        const row = { route: spec.route, unit: u.unit, arm: u.arm, firstExposure, weights: u.weights, armsSeen: u.arms };
        text += `${JSON.stringify({ ...row, requests, errors, latencyMsTotal, goals })}\n`;
      }
    }
    if (text) yield text;
    after = page.next;
  }
}

async function* minuteChunks(store: Pick<ExperimentStore, 'exportMinutes'>, spec: ExperimentSpec, q: ExportQuery, limit: number) {
  let head = q.format === 'csv' ? csvLine(MINUTE_COLUMNS) : '';
  // Goals removed from the config since are still in the store: only current names (and $-metrics) are exported.
  const known = new Set(spec.goals.map((g) => g.name));
  let after: number | undefined = -1;
  while (after !== undefined) {
    const page = await store.exportMinutes({ route: spec.route, after, since: q.since, limit });
    let text = head;
    head = '';
    for (const r of page.rows) {
      if (!r.goal.startsWith('$') && !known.has(r.goal)) continue;
      const minute = new Date(r.minute).toISOString();
      text +=
        q.format === 'csv'
          ? csvLine([spec.route, minute, r.arm, r.goal, r.units, r.count, r.value])
          : `${JSON.stringify({ route: spec.route, minute, arm: r.arm, metric: r.goal, units: r.units, count: r.count, value: r.value })}\n`;
    }
    if (text) yield text;
    after = page.next;
  }
}
