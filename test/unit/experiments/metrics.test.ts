// Every row the experiment recorder or the response tap loses is a counter: maps full, a failed
// batch, a goal body that could not be read — by experiment route and reason, at 0 from the start.
import { afterEach, describe, expect, it } from 'vitest';
import { withExperimentMetrics } from '../../../src/experiments/metrics.js';
import { createExperimentRecorder } from '../../../src/experiments/recorder.js';
import type { TapStats } from '../../../src/experiments/response-tap.js';
import { experimentsOf } from '../../../src/experiments/spec.js';
import type { ExchangeTracker } from '../../../src/telemetry/hooks.js';
import type { MetricFamily } from '../../../src/telemetry/prom-text.js';
import { EXPERIMENT_YAML, info, snapshotOf } from './fixtures.js';

const ok = { status: 200, code: undefined, bytes: 10, upstreamMs: 1 };
const noTap: TapStats = { tapped: 0, busy: 0, unreadable: 0, unreadGoals: new Map() };
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0)) await c();
});

function value(families: MetricFamily[], name: string, labels: Record<string, string>): number | undefined {
  const f = families.find((x) => x.name === name);
  return f?.samples.find((s) => Object.entries(labels).every(([k, v]) => s.labels?.[k] === v))?.value;
}

describe('experiment metrics', () => {
  it('count exposures and events recorded, and drops when the maps are full or the store fails a batch', async () => {
    const { snap, close } = snapshotOf(EXPERIMENT_YAML);
    let fail = false;
    const rec = createExperimentRecorder({
      store: {
        writeExperiments: async () => {
          if (fail) throw new Error('disk full');
        },
      },
      current: () => snap,
      flushMs: 60_000,
      limits: { maxExposures: 1, maxEvents: 1 },
    });
    cleanups.push(async () => {
      await rec.stop();
      await close();
    });
    const collect = withExperimentMetrics(() => [], { current: () => snap, recorder: rec.byRoute, tap: () => noTap });
    // Before any traffic: every experiment route's series exist, at 0.
    expect(value(collect(), 'fieldlab_experiment_dropped_total', { route: 'product', reason: 'exposures_full' })).toBe(0);
    expect(value(collect(), 'fieldlab_experiment_recorded_total', { route: 'product', kind: 'exposure' })).toBe(0);

    const run = (key: string) => (rec.observer.begin(info(snap, 'product', { key })) as ExchangeTracker).end(ok, 5);
    run('u1');
    // u1: its exposure and $requests cell fit, its `views` goal cell doesn't; u2: nothing fits.
    run('u2');
    let m = collect();
    expect(value(m, 'fieldlab_experiment_recorded_total', { route: 'product', kind: 'exposure' })).toBe(1);
    expect(value(m, 'fieldlab_experiment_recorded_total', { route: 'product', kind: 'event' })).toBe(1);
    expect(value(m, 'fieldlab_experiment_dropped_total', { route: 'product', reason: 'exposures_full' })).toBe(1);
    expect(value(m, 'fieldlab_experiment_dropped_total', { route: 'product', reason: 'events_full' })).toBe(3);
    expect(value(m, 'fieldlab_experiment_dropped_total', { route: 'product', reason: 'store_failed' })).toBe(0);

    await rec.flush();
    fail = true;
    run('u3');
    await rec.flush();
    m = collect();
    // The failed batch held u3's exposure and its $requests cell.
    expect(value(m, 'fieldlab_experiment_dropped_total', { route: 'product', reason: 'store_failed' })).toBe(2);
    expect(rec.stats().failedBatches).toBe(1);
  });

  it('count goals whose response body could not be read, per experiment, and the tap’s results', () => {
    const { snap } = snapshotOf(EXPERIMENT_YAML);
    const tap: TapStats = { tapped: 7, busy: 2, unreadable: 3, unreadGoals: new Map([['product', 4]]) };
    const m = withExperimentMetrics(() => [], { current: () => snap, recorder: () => new Map(), tap: () => tap })();
    expect(value(m, 'fieldlab_experiment_dropped_total', { route: 'product', reason: 'body_unread' })).toBe(4);
    expect(value(m, 'fieldlab_experiment_tapped_responses_total', { result: 'busy' })).toBe(2);
    // Routes without `experiment:` have no series.
    expect(experimentsOf(snap).byRoute.has('checkout')).toBe(false);
    expect(value(m, 'fieldlab_experiment_dropped_total', { route: 'checkout' })).toBeUndefined();
  });
});
