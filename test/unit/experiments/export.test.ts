// The export over a real (in-memory) SQLite store: per-unit rows with each goal's outcome as the
// analysis uses it, per-minute rows, both formats, and pulled one store page at a time.
import { afterEach, describe, expect, it } from 'vitest';
import { experimentsOf } from '../../../src/experiments/spec.js';
import { exportChunks, MINUTE_COLUMNS, unitColumns } from '../../../src/experiments/export.js';
import { openSqliteStores } from '../../../src/storage/sqlite.js';
import type { ExperimentStore } from '../../../src/storage/experiment-types.js';
import { EXPERIMENT_YAML, snapshotOf } from './fixtures.js';

const T0 = 1_700_000_040_000;
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

async function setup() {
  const { snap, close } = snapshotOf(EXPERIMENT_YAML);
  const stores = openSqliteStores(':memory:');
  cleanups.push(async () => {
    await stores.close();
    await close();
  });
  const spec = experimentsOf(snap).byRoute.get('product')!;
  const x = (unit: string, arm: string, at = T0) => ({ route: 'product', unit, arm, at, weights: '50,50' });
  const ev = (goal: string, unit: string, minute: number, count = 1, value = 0) => ({ route: 'product', goal, unit, minute, count, value });
  return { spec, store: stores.experiments, x, ev };
}

async function collect(gen: AsyncGenerator<string>): Promise<string> {
  let out = '';
  for await (const c of gen) out += c;
  return out;
}

describe('experiment export', () => {
  it('per unit: first exposure, arms seen, vital signs and each goal’s per-unit outcome (CSV and JSON lines)', async () => {
    const { spec, store, x, ev } = await setup();
    await store.writeExperiments({
      exposures: [x('u1', 'control'), x('u1', 'variant', T0 + 60_000), x('=cmd|x', 'variant')],
      events: [
        ev('$requests', 'u1', T0, 3, 60),
        ev('$errors', 'u1', T0, 1),
        ev('checkout', 'u1', T0, 2), // conversion: 2 checkouts are one converted unit
        ev('views', '=cmd|x', T0, 4),
        ev('views', '=cmd|x', T0 + 11 * 60_000, 9), // past the 10m window
      ],
    });
    expect(unitColumns(spec)).toEqual([
      'route',
      'unit',
      'arm',
      'first_exposure',
      'weights',
      'arms_seen',
      'requests',
      'errors',
      'latency_ms_total',
      'goal_checkout',
      'goal_views',
    ]);
    const csv = await collect(exportChunks(store, spec, { by: 'unit', format: 'csv', since: 0 }));
    const at = new Date(T0).toISOString();
    expect(csv).toBe(
      `${unitColumns(spec).join(',')}\r\n` +
        `product,'=cmd|x,variant,${at},"50,50",1,0,0,0,0,4\r\n` +
        `product,u1,control,${at},"50,50",2,3,1,60,1,0\r\n`,
    );
    const lines = (await collect(exportChunks(store, spec, { by: 'unit', format: 'jsonl', since: 0 })))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[1]).toEqual({
      route: 'product',
      unit: 'u1',
      arm: 'control',
      firstExposure: at,
      weights: '50,50',
      armsSeen: 2,
      requests: 3,
      errors: 1,
      latencyMsTotal: 60,
      goals: { checkout: 1, views: 0 },
    });
    // JSON keeps the key as it is (no spreadsheet runs it).
    expect(lines[0].unit).toBe('=cmd|x');
  });

  it('per minute: units, events and value per arm and metric, exposures included', async () => {
    const { spec, store, x, ev } = await setup();
    await store.writeExperiments({
      exposures: [x('u1', 'control'), x('u2', 'variant')],
      events: [ev('views', 'u1', T0, 2), ev('views', 'u2', T0, 1), ev('views', '', T0 + 60_000, 5), ev('gone-goal', 'u1', T0, 1)],
    });
    const csv = await collect(exportChunks(store, spec, { by: 'minute', format: 'csv', since: 0 }));
    const m0 = new Date(T0).toISOString();
    const m1 = new Date(T0 + 60_000).toISOString();
    expect(csv.split('\r\n')).toEqual([
      MINUTE_COLUMNS.join(','),
      `product,${m0},control,$exposures,1,1,0`,
      `product,${m0},control,views,1,2,0`,
      `product,${m0},variant,$exposures,1,1,0`,
      `product,${m0},variant,views,1,1,0`,
      `product,${m1},,views,0,5,0`,
      '',
    ]);
    const since = await collect(exportChunks(store, spec, { by: 'minute', format: 'jsonl', since: T0 + 60_000 }));
    expect(
      since
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l)),
    ).toEqual([{ route: 'product', minute: m1, arm: '', metric: 'views', units: 0, count: 5, value: 0 }]);
  });

  it('reads the store one page at a time, only as fast as the chunks are taken', async () => {
    const { spec, store, x } = await setup();
    await store.writeExperiments({
      exposures: Array.from({ length: 25 }, (_, i) => x(`u${String(i).padStart(2, '0')}`, 'control')),
      events: [],
    });
    const calls: string[] = [];
    const counting: Pick<ExperimentStore, 'exportUnits' | 'exportMinutes'> = {
      exportUnits: (q) => {
        calls.push(q.after);
        return store.exportUnits(q);
      },
      exportMinutes: (q) => store.exportMinutes(q),
    };
    const gen = exportChunks(counting, spec, { by: 'unit', format: 'jsonl', since: 0 }, { units: 10 });
    const first = await gen.next();
    expect(first.value.trim().split('\n')).toHaveLength(10);
    expect(calls).toEqual(['']);
    let rows = 10;
    for await (const chunk of gen) rows += chunk.trim().split('\n').length;
    expect(rows).toBe(25);
    expect(calls).toEqual(['', 'u09', 'u19']);
  });

  it('an empty experiment exports the CSV header only, and nothing as JSON lines', async () => {
    const { spec, store } = await setup();
    expect(await collect(exportChunks(store, spec, { by: 'unit', format: 'csv', since: 0 }))).toBe(`${unitColumns(spec).join(',')}\r\n`);
    expect(await collect(exportChunks(store, spec, { by: 'minute', format: 'jsonl', since: 0 }))).toBe('');
  });
});
