/**
 * Experiment data under `store.retention`: exposures and goal events are kept for the retention
 * *plus* the longest running experiment's planned duration and window, so an experiment is never
 * pruned from under itself while it runs to its planned length (a 7-day experiment with a 72-hour
 * window and the default 7-day retention keeps 17 days).
 */
import type { Snapshot } from '../config/compile.js';
import type { ExperimentStore } from '../storage/experiment-types.js';
import type { Prunable } from '../storage/retention.js';

/**
 * A Prunable for the retention job.
 * @example createRetention({ stores: [diffs, guardrails, experimentPrunable(stores.experiments, config.current)], … })
 */
export function experimentPrunable(store: Pick<ExperimentStore, 'pruneExperiments'>, current: () => Snapshot): Prunable {
  return {
    prune(before) {
      let span = 0;
      for (const r of current().config.routes) if (r.experiment) span = Math.max(span, r.experiment.minDuration + r.experiment.window);
      return store.pruneExperiments(before - span);
    },
  };
}
