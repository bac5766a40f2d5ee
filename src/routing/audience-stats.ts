/**
 * Counts of requests outside their route's split, per route and reason (targeting, layer).
 * Process-wide like the force counters (routing/force-stats.ts), so a reload doesn't reset them;
 * read at scrape time. A route whose targeting leaves out far more (or less) than expected says its
 * rules don't match what the platform sends.
 */
import type { MetricFamily } from '../telemetry/prom-text.js';
import type { Exclusion } from './audience.js';

const byRoute = new Map<string, Record<Exclusion, number>>();

/**
 * Counts one request outside the split of `route`.
 * @example countExcluded('checkout', 'targeting')
 */
export function countExcluded(route: string, reason: Exclusion): void {
  let c = byRoute.get(route);
  if (!c) byRoute.set(route, (c = { targeting: 0, layer: 0 }));
  c[reason]++;
}

/**
 * A copy of one route's counts (zeros when none was excluded).
 * @example excludedCounts('checkout').layer
 */
export function excludedCounts(route: string): Record<Exclusion, number> {
  return { ...(byRoute.get(route) ?? { targeting: 0, layer: 0 }) };
}

/**
 * A metrics `collect` callback with `fieldlab_experiment_excluded_total{route,reason}` added.
 * @example createMetrics({ collect: withAudienceMetrics(collectAppState({ config })) })
 */
export function withAudienceMetrics(collect: () => MetricFamily[]): () => MetricFamily[] {
  return () => {
    const samples = [...byRoute].flatMap(([route, c]) =>
      Object.entries(c).map(([reason, value]) => ({ labels: { route, reason }, value })),
    );
    if (samples.length === 0) return collect();
    return [
      ...collect(),
      {
        name: 'fieldlab_experiment_excluded_total',
        help: "Requests outside their route's experiment (targeting rules, layer slice): served by control, not exposures",
        type: 'counter',
        samples,
      },
    ];
  };
}
