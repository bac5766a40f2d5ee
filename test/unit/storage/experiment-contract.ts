/**
 * The ExperimentStore contract, run against every backend (SQLite in this thread and in its worker,
 * PostgreSQL): earliest exposure wins, events add up, goals count only within the window after a
 * unit's first exposure, per-unit sums are squared after summing, leaks and unattributable goal
 * traffic are counted.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { leakCheck } from '../../../src/experiments/diagnostics.js';
import { unexplainedUnits } from '../../../src/experiments/leaks.js';
import { armForBucket, buildRanges } from '../../../src/routing/assign.js';
import { bucketOf } from '../../../src/routing/hash.js';
import type { ExperimentStore, ExposureRow } from '../../../src/storage/experiment-types.js';

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
        exposureSets: [],
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
      // Every unit's arms with their weights, grouped (b moved: variant at 10%, then control at 50%).
      expect(sums.exposureSets).toEqual([
        { exposures: [['control', '50,50']], units: 1 },
        {
          exposures: [
            ['control', '50,50'],
            ['variant', '90,10'],
          ],
          units: 1,
        },
        { exposures: [['control', '90,10']], units: 1 },
      ]);
      expect((await s.experimentSums('other', 72 * H)).arms).toEqual([]);
    });

    it('a ramp 10% → 50% → 0% and a holdback release move units without a leak alarm; a real leak alarms', async () => {
      const s = await fresh();
      const arms = ['control', 'variant'];
      // Each phase assigns 2,000 units as the proxy does (seeded bucket, nested ranges) under its weights.
      const phase = (route: string, variant: number, at: number): ExposureRow[] =>
        Array.from({ length: 2000 }, (_, i) => {
          const arm = arms[armForBucket(buildRanges([variant]), bucketOf(route, `u${i}`))]!;
          return {
            route,
            unit: `u${i}`,
            arm,
            at,
            weights: `${100 - variant},${variant}`,
          };
        });
      const leaks = async (route: string) => {
        const sums = await s.experimentSums(route, 72 * H);
        const units = sums.exposureSets.reduce((n, g) => n + g.units, 0);
        return leakCheck(unexplainedUnits(arms, sums.exposureSets), units);
      };
      // Written out of order, as two workers a step apart would: the check needs no clock.
      await s.writeExperiments({
        exposures: phase('ramp', 0, T0 + 2 * H),
        events: [],
      });
      await s.writeExperiments({
        exposures: [...phase('ramp', 50, T0 + H), ...phase('ramp', 10, T0)],
        events: [],
      });
      // Promoted with a 5% holdback (95% on the variant), then released (100%).
      await s.writeExperiments({
        exposures: [...phase('held', 95, T0), ...phase('held', 100, T0 + H)],
        events: [],
      });
      const moved = (await s.experimentSums('ramp', 72 * H)).exposureSets.filter((g) => g.exposures.length > 1);
      expect(moved.reduce((n, g) => n + g.units, 0)).toBeGreaterThan(900); // ~50% moved back to control
      expect(await leaks('ramp')).toMatchObject({ alarm: false, units: 0 });
      expect(await leaks('held')).toMatchObject({ alarm: false, units: 0 });
      // A real leak: 40 more units (2%) seen in both arms under the same weights (a changed seed, a forged arm).
      const wrong = Array.from({ length: 40 }, (_, i) => x(`w${i}`, 'control', T0 + 2 * H));
      await s.writeExperiments({
        exposures: [...wrong, ...wrong.map((r) => ({ ...r, arm: 'variant' }))].map((r) => ({ ...r, route: 'held' })),
        events: [],
      });
      expect(await leaks('held')).toMatchObject({ alarm: true, units: 40 });
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

    it('exports units a keyset page at a time: first exposure, arms seen, goal sums in window', async () => {
      const s = await fresh();
      await s.writeExperiments({
        exposures: [x('u1', 'control', T0), x('u1', 'variant', T0 + H), x('u2', 'variant', T0 + 60_000), x('u3', 'control', T0 + 2 * H)],
        events: [
          ev('buy', 'u1', T0, 1, 10),
          ev('buy', 'u1', T0 + 3 * H, 1, 99), // after a 2 h window: not counted
          ev('$requests', 'u1', T0 + 3 * H, 2, 40), // vital signs ignore the window
          ev('buy', 'u2', T0 + 60_000, 2, 5),
          ev('other', 'u2', T0 + 60_000, 7, 0), // not asked for
          ev('buy', 'u9', T0, 1, 1), // never exposed: no unit row
        ],
      });
      const q = { route: 'product', goals: ['buy', '$requests'], windowMs: 2 * H, since: 0, limit: 2 };
      const first = await s.exportUnits({ ...q, after: '' });
      expect(first.units).toEqual([
        { unit: 'u1', arm: 'control', firstAt: T0, weights: '50,50', arms: 2 },
        { unit: 'u2', arm: 'variant', firstAt: T0 + 60_000, weights: '50,50', arms: 1 },
      ]);
      expect(first.goals).toEqual([
        { unit: 'u1', goal: '$requests', count: 2, value: 40 },
        { unit: 'u1', goal: 'buy', count: 1, value: 10 },
        { unit: 'u2', goal: 'buy', count: 2, value: 5 },
      ]);
      expect(first.next).toBe('u2');
      const second = await s.exportUnits({ ...q, after: 'u2' });
      expect(second).toEqual({
        units: [{ unit: 'u3', arm: 'control', firstAt: T0 + 2 * H, weights: '50,50', arms: 1 }],
        goals: [],
        next: undefined,
      });
      // `since` keeps units first exposed from then on; the cursor still moves over the others.
      const late = await s.exportUnits({ ...q, after: '', since: T0 + 30_000 });
      expect(late.units.map((u) => u.unit)).toEqual(['u2']);
      expect(late.next).toBe('u2');
      expect(await s.exportUnits({ ...q, route: 'other', after: '' })).toEqual({ units: [], goals: [], next: undefined });
    });

    it('exports minutes a page at a time: per arm of first exposure and goal, with exposures', async () => {
      const s = await fresh();
      await s.writeExperiments({
        exposures: [x('u1', 'control', T0 + 5000), x('u2', 'variant', T0 + 6000), x('u1', 'variant', T0 + 60_000 + 1)],
        events: [
          ev('buy', 'u1', T0, 1, 10),
          ev('buy', 'u2', T0, 2, 5),
          ev('buy', '', T0, 4, 0), // without a key: arm '', no unit
          ev('buy', 'ghost', T0 + 60_000, 1, 0), // never exposed: arm ''
          ev('buy', 'u1', T0 + 60_000, 1, 1), // leaked to variant later, still counts in control
        ],
      });
      const q = { route: 'product', since: 0, limit: 1 };
      const first = await s.exportMinutes({ ...q, after: -1 });
      expect(first.rows).toEqual([
        { minute: T0, arm: '', goal: 'buy', units: 0, count: 4, value: 0 },
        { minute: T0, arm: 'control', goal: '$exposures', units: 1, count: 1, value: 0 },
        { minute: T0, arm: 'control', goal: 'buy', units: 1, count: 1, value: 10 },
        { minute: T0, arm: 'variant', goal: '$exposures', units: 1, count: 1, value: 0 },
        { minute: T0, arm: 'variant', goal: 'buy', units: 1, count: 2, value: 5 },
      ]);
      expect(first.next).toBe(T0);
      const second = await s.exportMinutes({ ...q, after: T0 });
      expect(second.rows).toEqual([
        { minute: T0 + 60_000, arm: '', goal: 'buy', units: 1, count: 1, value: 0 },
        { minute: T0 + 60_000, arm: 'control', goal: 'buy', units: 1, count: 1, value: 1 },
        { minute: T0 + 60_000, arm: 'variant', goal: '$exposures', units: 1, count: 1, value: 0 },
      ]);
      expect(second.next).toBe(T0 + 60_000);
      expect(await s.exportMinutes({ ...q, after: T0 + 60_000 })).toEqual({ rows: [], next: undefined });
      // `since` in the middle of a minute starts at the next whole one.
      const late = await s.exportMinutes({ ...q, limit: 10, after: -1, since: T0 + 1 });
      expect(late.rows.map((r) => r.minute)).toEqual([T0 + 60_000, T0 + 60_000, T0 + 60_000]);
      expect(late.next).toBeUndefined();
    });
  });
}
