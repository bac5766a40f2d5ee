// The results reader: unknown route and route without experiment, live weights, and a cache that
// lives a second or ten times as long as the store's query took, refreshed on a config reload.
import { afterAll, describe, expect, it } from 'vitest';
import { createExperimentResults } from '../../../src/experiments/results.js';
import type { ExperimentSums } from '../../../src/storage/experiment-types.js';
import { EXPERIMENT_YAML, snapshotOf } from './fixtures.js';

const { snap, close } = snapshotOf(EXPERIMENT_YAML);
afterAll(close);
const EMPTY: ExperimentSums = {
  startedAt: undefined,
  arms: [],
  exposureSets: [],
  goals: [],
  goalRequests: { total: 0, withoutKey: 0, unexposed: 0 },
};

describe('experiment results reader', () => {
  it('says which is missing: the route, or its experiment', async () => {
    const r = createExperimentResults({ store: { experimentSums: async () => EMPTY }, current: () => snap });
    expect(await r.read('nope')).toEqual({ experiments: [], missing: 'route' });
    expect(await r.read('checkout')).toEqual({ experiments: [], missing: 'experiment' });
    const all = await r.read();
    expect(all.experiments.map((e) => [e.route, e.arms.map((a) => a.weightPercent)])).toEqual([['product', [50, 50]]]);
  });

  it('caches per route for a second, longer after a slow query, and reads again after a reload', async () => {
    let t = 0;
    let calls = 0;
    let cost = 0;
    const store = {
      experimentSums: async () => {
        calls++;
        const until = performance.now() + cost;
        while (performance.now() < until) {
          // a slow store: busy for `cost` ms
        }
        return EMPTY;
      },
    };
    let current = snap;
    const r = createExperimentResults({ store, current: () => current, now: () => t });
    await r.read('product');
    t = 999;
    await r.read('product');
    expect(calls).toBe(1);
    t = 1000;
    cost = 150; // this query takes ≥ 150 ms: its answer is kept ≥ 1.5 s
    await r.read('product');
    expect(calls).toBe(2);
    t = 2400;
    await r.read('product');
    expect(calls).toBe(2);
    current = { ...snap, version: snap.version + 1 };
    await r.read('product');
    expect(calls).toBe(3);
  });
});
