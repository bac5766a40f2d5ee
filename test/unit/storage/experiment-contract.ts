/**
 * The ExperimentStore contract, run against every backend (SQLite in this thread and in its worker,
 * PostgreSQL): earliest exposure wins, events add up, goals count only within the window after a
 * unit's first exposure, per-unit sums are squared after summing, leaks and unattributable goal
 * traffic are counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ExperimentStore } from '../../../src/storage/experiment-types.js';

/** The store and what closes it. */
export interface OpenedExperimentStore {
  readonly store: ExperimentStore;
  close(): Promise<void>;
}

const H = 3_600_000;
const T0 = 1_700_000_040_000; // a minute boundary
const x = (unit: string, arm: string, at: number, weights = '50,50') => ({ route: 'product', unit, arm, at, weights });
const ev = (goal: string, unit: string, minute: number, count = 1, value = 0) => ({ route: 'product', goal, unit, minute, count, value });

/**
 * Registers the contract for one backend; `open` returns a new, empty store on every call.
 * @example runExperimentContract('sqlite', async () => { const s = openSqliteStores(':memory:'); return { store: s.experiments, close: s.close } })
 */
export function runExperimentContract(name: string, open: () => Promise<OpenedExperimentStore>): void {
  describe(`ExperimentStore contract: ${name}`, () => {
    const opened: OpenedExperimentStore[] = [];
    const fresh = async () => {
      const o = await open();
      opened.push(o);
      return o.store;
    };
    afterEach(async () => {
      for (const o of opened.splice(0)) await o.close();
    });

    it('starts empty', async () => {
      const s = await fresh();
      expect(await s.experimentSums('product', 72 * H)).toEqual({
        startedAt: undefined,
        arms: [],
        leaked: 0,
        goals: [],
        goalRequests: { total: 0, withoutKey: 0, unexposed: 0 },
      });
    });

    it('keeps the earliest exposure per unit and arm (with its weights), counts units by their first arm, and leaks', async () => {
      const s = await fresh();
      await s.writeExperiments({ exposures: [x('a', 'control', T0 + 5000, '90,10'), x('b', 'variant', T0 + 1000, '90,10')], events: [] });
      await s.writeExperiments({
        exposures: [x('a', 'control', T0 + 9000, '50,50'), x('b', 'control', T0 + 2000, '50,50'), x('c', 'control', T0, '50,50')],
        events: [],
      });
      // An earlier exposure arriving later (another replica) replaces the stored one.
      await s.writeExperiments({ exposures: [x('a', 'control', T0 - 1000, '90,10')], events: [] });
      const sums = await s.experimentSums('product', 72 * H);
      expect(sums.startedAt).toBe(T0 - 1000);
      expect(sums.arms).toEqual([
        { arm: 'control', weights: '50,50', units: 1 },
        { arm: 'control', weights: '90,10', units: 1 },
        { arm: 'variant', weights: '90,10', units: 1 },
      ]);
      expect(sums.leaked).toBe(1);
      expect((await s.experimentSums('other', 72 * H)).arms).toEqual([]);
    });

    it('sums each unit’s events in window, then squares; vital signs ignore the window', async () => {
      const s = await fresh();
      await s.writeExperiments({
        exposures: [x('a', 'control', T0 + 30_000), x('b', 'control', T0), x('c', 'variant', T0)],
        events: [
          ev('buy', 'a', T0, 1, 10), // same minute as the exposure: counts
          ev('buy', 'a', T0 + 60_000, 2, 5),
          ev('buy', 'b', T0 - 60_000, 1, 99), // a minute before its exposure: not counted
          ev('buy', 'b', T0 + 2 * H + 60_000, 1, 7), // after a 2 h window: not counted
          ev('buy', 'c', T0 + 2 * H, 3, 1), // at the window's end: counted
          ev('$requests', 'b', T0 + 5 * H, 4, 100),
        ],
      });
      await s.writeExperiments({ exposures: [], events: [ev('buy', 'a', T0 + 60_000, 1, 1)] });
      const sums = await s.experimentSums('product', 2 * H);
      expect(sums.goals).toEqual([
        { goal: '$requests', arm: 'control', units: 1, count: 4, countSq: 16, value: 100, valueSq: 10_000 },
        { goal: 'buy', arm: 'control', units: 1, count: 4, countSq: 16, value: 16, valueSq: 256 },
        { goal: 'buy', arm: 'variant', units: 1, count: 3, countSq: 9, value: 1, valueSq: 1 },
      ]);
    });

    it('counts goal requests without a sticky key and from units never exposed (not vital signs)', async () => {
      const s = await fresh();
      await s.writeExperiments({
        exposures: [x('a', 'control', T0)],
        events: [ev('buy', 'a', T0, 5), ev('buy', '', T0, 2), ev('buy', 'ghost', T0, 3), ev('$requests', 'ghost', T0, 50)],
      });
      expect((await s.experimentSums('product', H)).goalRequests).toEqual({ total: 10, withoutKey: 2, unexposed: 3 });
    });

    it('prunes exposures and events older than a time', async () => {
      const s = await fresh();
      await s.writeExperiments({
        exposures: [x('a', 'control', T0), x('b', 'control', T0 + H)],
        events: [ev('buy', 'a', T0), ev('buy', 'b', T0 + H)],
      });
      expect(await s.pruneExperiments(T0 + 1)).toBe(2);
      const sums = await s.experimentSums('product', 72 * H);
      expect(sums.arms).toEqual([{ arm: 'control', weights: '50,50', units: 1 }]);
      expect(sums.goalRequests.total).toBe(1);
    });
  });
}
