// The recorder against a real (in-memory) SQLite store: first exposures with their weights, vital
// signs, goals on another route by the experiment's sticky key, QA-forced requests left out, bounded
// maps that drop and count, and a failing store that costs a counted batch and never a throw.
import { afterEach, describe, expect, it } from 'vitest';
import { createExperimentRecorder, unitKey } from '../../../src/experiments/recorder.js';
import { openSqliteStores } from '../../../src/storage/sqlite.js';
import type { ExchangeTracker } from '../../../src/telemetry/hooks.js';
import { EXPERIMENT_YAML, info, snapshotOf } from './fixtures.js';

const T0 = 1_700_000_040_000;
const ok = { status: 200, code: undefined, bytes: 10, upstreamMs: 1 };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function setup(limits?: { maxExposures?: number; maxEvents?: number }) {
  const { snap, close } = snapshotOf(EXPERIMENT_YAML);
  const stores = openSqliteStores(':memory:');
  const rec = createExperimentRecorder({ store: stores.experiments, current: () => snap, flushMs: 60_000, ...(limits ? { limits } : {}) });
  cleanups.push(async () => {
    await rec.stop();
    await stores.close();
    await close();
  });
  const run = (x: ReturnType<typeof info>, outcome = ok, ms = 20) => {
    const t = rec.observer.begin(x) as ExchangeTracker | undefined;
    t?.end(outcome, ms);
    return t;
  };
  return { snap, stores, rec, run };
}

describe('experiment recorder', () => {
  it('records first exposures with the live weights, vital signs, and goals by the sticky key on another route', async () => {
    const { snap, stores, rec, run } = setup();
    run(info(snap, 'product', { key: 'u1', arm: 'control', at: T0 }));
    run(info(snap, 'product', { key: 'u1', arm: 'control', at: T0 + 1000 }), { ...ok, status: 503 }, 40);
    run(info(snap, 'product', { key: 'u2', arm: 'variant', at: T0 }));
    run(info(snap, 'checkout', { key: 'x', method: 'POST', target: '/api/checkout?x=1', headers: { 'x-user': 'u2' }, at: T0 + 2000 }));
    // Not a goal: wrong method, and a 5xx on the goal path.
    run(info(snap, 'checkout', { key: 'x', method: 'GET', target: '/api/checkout', headers: { 'x-user': 'u1' }, at: T0 }));
    run(info(snap, 'checkout', { key: 'x', method: 'POST', target: '/api/checkout', headers: { 'x-user': 'u1' }, at: T0 }), {
      ...ok,
      status: 500,
    });
    await rec.flush();
    const sums = await stores.experiments.experimentSums('product', 600_000);
    expect(sums.arms).toEqual([
      { arm: 'control', weights: '50,50', units: 1 },
      { arm: 'variant', weights: '50,50', units: 1 },
    ]);
    const goals = Object.fromEntries(sums.goals.map((g) => [`${g.goal}/${g.arm}`, g]));
    expect(goals['$requests/control']).toMatchObject({ units: 1, count: 2, value: 60 });
    expect(goals['$errors/control']).toMatchObject({ units: 1, count: 1 });
    expect(goals['checkout/variant']).toMatchObject({ units: 1, count: 1 });
    expect(goals['checkout/control']).toBeUndefined();
    // views (a route-less goal, 2xx by default) matched GET /product/1 once: the other answered 503.
    expect(goals['views/control']).toMatchObject({ units: 1, count: 1 });
    expect(rec.stats()).toMatchObject({ exposures: 2, droppedExposures: 0, droppedEvents: 0, failedBatches: 0 });
  });

  it('weights change with the route’s live cell (a ramp is a new SRM phase)', async () => {
    const { snap, stores, rec, run } = setup();
    run(info(snap, 'product', { key: 'u1', at: T0 }));
    snap.routes[0]!.weights.set([10]);
    run(info(snap, 'product', { key: 'u2', at: T0 }));
    await rec.flush();
    expect((await stores.experiments.experimentSums('product', 600_000)).arms).toEqual([
      { arm: 'control', weights: '50,50', units: 1 },
      { arm: 'control', weights: '90,10', units: 1 },
    ]);
  });

  it('records the weights the arm was assigned under: a rollback landing mid-response is no variant-at-0% exposure', async () => {
    const { snap, stores, rec } = setup();
    const t = rec.observer.begin(info(snap, 'product', { key: 'u1', arm: 'variant', at: T0 })) as ExchangeTracker;
    snap.routes[0]!.weights.set([0], 'runtime', [true]); // the rollback, while u1's response streams
    t.end(ok, 20);
    await rec.flush();
    expect((await stores.experiments.experimentSums('product', 600_000)).arms).toEqual([{ arm: 'variant', weights: '50,50', units: 1 }]);
  });

  it('leaves QA-forced requests out, and counts goal requests without the sticky key under unit ""', async () => {
    const { snap, stores, rec, run } = setup();
    expect(run(info(snap, 'product', { key: 'qa', arm: 'variant', target: '/other', forced: true }))).toBeUndefined();
    run(info(snap, 'checkout', { key: 'x', method: 'POST', target: '/api/checkout' }));
    await rec.flush();
    const sums = await stores.experiments.experimentSums('product', 600_000);
    expect(sums.arms).toEqual([]);
    expect(sums.goalRequests).toEqual({ total: 1, withoutKey: 1, unexposed: 0 });
  });

  it('costs nothing on routes no experiment or goal concerns', () => {
    const { snap, rec } = setup();
    expect(rec.observer.begin(info(snap, 'checkout', { key: 'x', method: 'GET', target: '/api/cart' }))).toBeUndefined();
  });

  it('bounds what waits for a flush: beyond the caps entries are dropped and counted', async () => {
    const { snap, stores, rec, run } = setup({ maxExposures: 2, maxEvents: 2 });
    for (const u of ['a', 'b', 'c']) run(info(snap, 'product', { key: u, target: '/x' }));
    await rec.flush();
    expect(rec.stats()).toMatchObject({ exposures: 2, droppedExposures: 1, events: 2, droppedEvents: 1 });
    expect((await stores.experiments.experimentSums('product', 600_000)).arms).toEqual([{ arm: 'control', weights: '50,50', units: 2 }]);
  });

  it('a failing store drops and counts the batch; nothing throws', async () => {
    const { snap } = setup();
    const errors: unknown[] = [];
    const rec = createExperimentRecorder({
      store: { writeExperiments: () => Promise.reject(new Error('disk full')) },
      current: () => snap,
      flushMs: 60_000,
      onError: (e) => errors.push(e),
    });
    rec.observer.begin(info(snap, 'product', { key: 'u1', target: '/x' }))?.end(ok, 1);
    await rec.stop();
    expect(rec.stats()).toMatchObject({ failedBatches: 1, droppedExposures: 1, droppedEvents: 1 });
    expect(errors).toHaveLength(1);
  });

  it('stores a sticky key longer than 128 characters as its sha1, on exposure and goal alike', async () => {
    const { snap, stores, rec, run } = setup();
    const long = 'k'.repeat(5000);
    run(info(snap, 'product', { key: long, at: T0, target: '/x' }));
    run(info(snap, 'checkout', { key: 'x', method: 'POST', target: '/api/checkout', headers: { 'x-user': long }, at: T0 }));
    await rec.flush();
    const sums = await stores.experiments.experimentSums('product', 600_000);
    expect(sums.arms).toEqual([{ arm: 'control', weights: '50,50', units: 1 }]);
    expect(sums.goals.find((g) => g.goal === 'checkout')).toMatchObject({ arm: 'control', units: 1 });
    expect(unitKey(long)).toMatch(/^sha1:[A-Za-z0-9+/]{27}=$/);
  });
});
