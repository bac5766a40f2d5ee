/**
 * Prometheus families of the bandit: per bandit route and arm the weight it serves now, and its
 * updates since start by outcome (applied, unchanged, no-results, failed, fenced), so a bandit that stopped
 * moving or keeps failing its read is something an alert can watch. Read at scrape time from the
 * runtime; nothing is counted per request.
 */
import type { MetricFamily, Sample } from '../telemetry/prom-text.js';
import { BANDIT_OUTCOMES, type BanditRuntime } from './bandit.js';

/**
 * Adds the bandit families to a collect callback.
 * @example createMetrics({ collect: withBanditMetrics(collect, () => bandits) })
 */
export function withBanditMetrics(collect: () => MetricFamily[], runtime: () => Pick<BanditRuntime, 'counts'>): () => MetricFamily[] {
  return () => {
    const weight: Sample[] = [];
    const updates: Sample[] = [];
    for (const c of runtime().counts()) {
      for (const w of c.weights) weight.push({ labels: { route: c.route, arm: w.arm }, value: w.percent });
      for (const outcome of BANDIT_OUTCOMES) updates.push({ labels: { route: c.route, outcome }, value: c.outcomes[outcome] });
    }
    return [
      ...collect(),
      { name: 'fieldlab_bandit_weight', help: 'Percent of new units the bandit route serves each arm now', type: 'gauge', samples: weight },
      {
        name: 'fieldlab_bandit_updates_total',
        help: 'Bandit updates by outcome: applied (weights moved), unchanged (under minChange), no-results, failed (read error), fenced (another replica took the lease)',
        type: 'counter',
        samples: updates,
      },
    ];
  };
}
