// Experiment data outlives store.retention by the longest experiment's minDuration + window.
import { afterAll, describe, expect, it } from 'vitest';
import { experimentPrunable } from '../../../src/experiments/retention.js';
import { openSqliteStores } from '../../../src/storage/sqlite.js';
import { EXPERIMENT_YAML, snapshotOf } from './fixtures.js';

const { snap, close } = snapshotOf(EXPERIMENT_YAML); // minDuration 1h, window 10m
afterAll(close);
const T = 1_700_000_040_000;
const M = 60_000;

describe('experiment retention', () => {
  it('prunes only what is older than the cut-off minus (minDuration + window)', async () => {
    const stores = openSqliteStores(':memory:');
    const x = (unit: string, at: number) => ({ route: 'product', unit, arm: 'control', at, weights: '50,50' });
    await stores.experiments.writeExperiments({ exposures: [x('old', T - 71 * M), x('kept', T - 69 * M)], events: [] });
    expect(await experimentPrunable(stores.experiments, () => snap).prune(T)).toBe(1);
    expect((await stores.experiments.experimentSums('product', 10 * M)).arms).toEqual([{ arm: 'control', weights: '50,50', units: 1 }]);
    await stores.close();
  });
});
