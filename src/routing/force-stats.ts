/**
 * Counts of QA overrides per route: followed, or refused and why. Process-wide like the forward
 * counters (forward/stats.ts), so a reload doesn't reset them; read at scrape time and by /routes.
 * A run of `bad-signature` or `not-allowed` is someone trying the header who shouldn't.
 */
import type { MetricFamily } from '../telemetry/prom-text.js';
import { FORCE_REFUSALS, type ForceRefusal } from './force.js';

/** One route's counts: `followed` plus one per refusal reason. */
export type ForceCounts = Record<'followed' | ForceRefusal, number>;

const byRoute = new Map<string, ForceCounts>();

function countsOf(route: string): ForceCounts {
  let c = byRoute.get(route);
  if (!c) {
    c = { followed: 0, ...(Object.fromEntries(FORCE_REFUSALS.map((r) => [r, 0])) as Record<ForceRefusal, number>) };
    byRoute.set(route, c);
  }
  return c;
}

/**
 * Counts one override on `route`.
 * @example countForce('checkout', 'bad-signature')
 */
export function countForce(route: string, result: 'followed' | ForceRefusal): void {
  countsOf(route)[result]++;
}

/**
 * A copy of one route's counts (zeros when it never saw an override).
 * @example forceCounts('checkout').expired
 */
export function forceCounts(route: string): ForceCounts {
  return { ...countsOf(route) };
}

/**
 * A metrics `collect` callback with the force family added.
 * @example createMetrics({ collect: withForceMetrics(collectAppState({ config })) })
 */
export function withForceMetrics(collect: () => MetricFamily[]): () => MetricFamily[] {
  return () => [...collect(), ...collectForce()];
}

/**
 * The `fieldlab_force_requests_total{route,result}` family over routes that saw an override.
 * @example renderFamily(collectForce()[0])
 */
export function collectForce(): MetricFamily[] {
  const samples = [...byRoute].flatMap(([route, c]) => Object.entries(c).map(([result, value]) => ({ labels: { route, result }, value })));
  if (samples.length === 0) return [];
  return [
    {
      name: 'fieldlab_force_requests_total',
      help: "Requests that named an arm with the route's force source, by result: followed, or why refused",
      type: 'counter',
      samples,
    },
  ];
}
