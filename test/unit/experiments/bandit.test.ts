// The bandit runtime on a fake clock and given results: equal weights through burn-in, then
// Thompson sampling; moves below minChange are neither applied nor stored; every applied change is
// one stored decision per moved variant, with the posteriors; a closed arm stays at 0.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src/config/compile.js';
import type { ExperimentResult } from '../../../src/experiments/analysis.js';
import { createBanditRuntime } from '../../../src/experiments/bandit.js';
import type { CompiledRoute } from '../../../src/routing/route.js';
import { createWeightCell } from '../../../src/routing/weights.js';
import type { DecisionRecord } from '../../../src/storage/guardrail-types.js';

const MIN = 60_000;
const bandit = { goal: 'buy', every: 5000, floor: 5, burnIn: 10 * MIN, draws: 2000, minChange: 2, maxUnits: 1000 };

function setup() {
  let t = 0;
  const route = { name: 'p', arms: [{ name: 'control' }, { name: 'v2' }], weights: createWeightCell([10]) } as unknown as CompiledRoute;
  const snap = {
    routes: [route],
    config: { routes: [{ name: 'p', experiment: { allocation: 'bandit', bandit } }] },
  } as unknown as Snapshot;
  let sums = { c: [0, 0], v: [0, 0] }; // [units, conversions]
  const result = () =>
    ({
      startedAt: new Date(0).toISOString(),
      goals: [
        {
          name: 'buy',
          arms: [
            { arm: 'control', units: sums.c[0], total: sums.c[1] },
            { arm: 'v2', units: sums.v[0], total: sums.v[1] },
          ],
        },
      ],
    }) as unknown as ExperimentResult;
  const stored: DecisionRecord[] = [];
  const rt = createBanditRuntime({
    results: { read: async () => ({ experiments: [result()] }) },
    experiments: { exportUnits: async () => ({ units: [], goals: [], next: undefined }) },
    decisions: { appendDecision: async (d) => void stored.push(d), saveState: async () => undefined },
    log: pino({ level: 'silent' }),
    now: () => t,
    seed: 1,
    checkEveryMs: 0,
  });
  rt.attach(snap);
  return {
    rt,
    route,
    stored,
    at: (ms: number) => void (t = ms),
    set: (c: [number, number], v: [number, number]) => void (sums = { c, v }),
  };
}

describe('bandit runtime', () => {
  it('holds equal weights through burn-in, then follows the posterior; each change is one stored decision', async () => {
    const b = setup();
    expect(b.route.weights.percents).toEqual([50]); // the config's 10% is replaced at attach
    b.set([500, 50], [500, 100]);
    b.at(5 * MIN);
    await b.rt.tick(true);
    expect(b.rt.status()[0]).toMatchObject({ phase: 'burn-in', updates: 0 });
    expect(b.route.weights.percents).toEqual([50]);
    expect(b.stored).toEqual([]);

    b.at(11 * MIN);
    await b.rt.tick(true);
    await b.rt.idle();
    expect(b.rt.status()[0]).toMatchObject({ phase: 'thompson', updates: 1 });
    expect(b.route.weights.percents).toEqual([95]);
    expect(b.stored).toHaveLength(1);
    expect(b.stored[0]).toMatchObject({ arm: 'v2', action: 'reweight', rule: 'bandit-thompson', fromPercent: 50, toPercent: 95 });
    expect((b.stored[0]!.evidence as { posteriors: unknown[] }).posteriors).toMatchObject([
      { arm: 'control', alpha: 51, beta: 451, percent: 5 },
      { arm: 'v2', alpha: 101, beta: 401, percent: 95 },
    ]);
  });

  it('neither applies nor stores a move below minChange, and keeps a closed arm at 0', async () => {
    const b = setup();
    b.set([500, 50], [500, 100]);
    b.at(11 * MIN);
    await b.rt.tick(true);
    b.set([510, 51], [600, 120]); // same picture: still 95%
    await b.rt.tick(true);
    await b.rt.idle();
    expect(b.stored).toHaveLength(1);
    // A guardrail rolls v2 back (as guardrails/runtime.ts sets the cell).
    b.route.weights.set([0], 'runtime', [true]);
    await b.rt.tick(true);
    await b.rt.idle();
    expect(b.route.weights.percents).toEqual([0]);
    expect(b.route.weights.closed).toEqual([true]);
    expect(b.rt.status()[0]!.arms.map((a) => a.percent)).toEqual([100, 0]);
    // The metrics' source: weights served now (the cell) and each update's outcome.
    expect(b.rt.counts()).toEqual([
      {
        route: 'p',
        weights: [
          { arm: 'control', percent: 100 },
          { arm: 'v2', percent: 0 },
        ],
        outcomes: { applied: 1, unchanged: 2, 'no-results': 0, failed: 0, fenced: 0 },
      },
    ]);
  });
});
