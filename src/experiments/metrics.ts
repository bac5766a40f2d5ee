/**
 * Prometheus families of the experiment recorder and response tap: rows recorded and every row
 * lost, by experiment route and reason, so a bounded map that filled up or a store that failed a
 * batch is a counter an alert can watch — never a silent gap in the results. Every experiment route
 * of the live config has its series from the start (at 0), so `rate()` works before the first drop.
 */
import type { Snapshot } from '../config/compile.js';
import type { MetricFamily, Sample } from '../telemetry/prom-text.js';
import type { DropReason, RouteRecorderStats } from './recorder.js';
import type { TapStats } from './response-tap.js';
import { experimentsOf } from './spec.js';

const REASONS: readonly DropReason[] = ['exposures_full', 'events_full', 'store_failed'];
const ZERO: RouteRecorderStats = { exposures: 0, events: 0, dropped: { exposures_full: 0, events_full: 0, store_failed: 0 } };

/**
 * Adds the experiment families to a collect callback.
 * @example createMetrics({ collect: withExperimentMetrics(collect, { current: config.current, recorder: rec.byRoute, tap: tap.stats }) })
 */
export function withExperimentMetrics(
  collect: () => MetricFamily[],
  deps: {
    readonly current: () => Snapshot;
    readonly recorder: () => ReadonlyMap<string, RouteRecorderStats>;
    readonly tap: () => TapStats;
  },
): () => MetricFamily[] {
  return () => {
    const seen = deps.recorder();
    const tap = deps.tap();
    const routes = [...new Set([...experimentsOf(deps.current()).byRoute.keys(), ...seen.keys(), ...tap.unreadGoals.keys()])].sort();
    const recorded: Sample[] = [];
    const dropped: Sample[] = [];
    for (const route of routes) {
      const r = seen.get(route) ?? ZERO;
      recorded.push({ labels: { route, kind: 'exposure' }, value: r.exposures }, { labels: { route, kind: 'event' }, value: r.events });
      for (const reason of REASONS) dropped.push({ labels: { route, reason }, value: r.dropped[reason] });
      dropped.push({ labels: { route, reason: 'body_unread' }, value: tap.unreadGoals.get(route) ?? 0 });
    }
    return [
      ...collect(),
      {
        name: 'fieldlab_experiment_recorded_total',
        help: 'Experiment rows queued for the store: first exposures (unit x arm) and unit-minute goal/vital-sign cells',
        type: 'counter',
        samples: recorded,
      },
      {
        name: 'fieldlab_experiment_dropped_total',
        help: 'Experiment data lost, by reason: exposures_full / events_full (bounded map full until the next flush), store_failed (rows of a batch the store refused), body_unread (goal evaluations that needed a response body that was too large, not JSON or not kept because 256 were buffered)',
        type: 'counter',
        samples: dropped,
      },
      {
        name: 'fieldlab_experiment_tapped_responses_total',
        help: 'Responses read by the experiment tap, by result: tapped, busy (256 bodies already buffered: read without the body), unreadable (too large, not JSON, undecodable)',
        type: 'counter',
        samples: (['tapped', 'busy', 'unreadable'] as const).map((result) => ({ labels: { result }, value: tap[result] })),
      },
    ];
  };
}
