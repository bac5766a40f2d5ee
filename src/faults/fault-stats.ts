/**
 * Counts of injected and skipped faults per route. Process-wide like the force counters
 * (routing/force-stats.ts), so a reload doesn't reset them; read at scrape time and by GET /faults.
 */
import type { MetricFamily } from '../telemetry/prom-text.js';
import type { FaultKind } from './decide.js';

/** Why a drawn fault was not injected: the kill switch was off, or the route's maxActive was reached. */
export type FaultSkip = 'off' | 'max-active';

/** One route's counts. */
export interface FaultCounts {
  injected: Record<FaultKind, number>;
  skipped: Record<FaultSkip, number>;
}

const byRoute = new Map<string, FaultCounts>();

function countsOf(route: string): FaultCounts {
  let c = byRoute.get(route);
  if (!c)
    byRoute.set(
      route,
      (c = {
        injected: { abort: 0, reset: 0, delay: 0 },
        skipped: { off: 0, 'max-active': 0 },
      }),
    );
  return c;
}

/**
 * Counts one injected fault on `route`.
 * @example countInjected('checkout', 'delay')
 */
export function countInjected(route: string, kind: FaultKind): void {
  countsOf(route).injected[kind]++;
}

/**
 * Counts one drawn fault that was not injected.
 * @example countSkipped('checkout', 'max-active')
 */
export function countSkipped(route: string, why: FaultSkip): void {
  countsOf(route).skipped[why]++;
}

/**
 * A copy of every route's counts that saw a fault drawn.
 * @example faultCounts().checkout?.injected.abort
 */
export function faultCounts(): Record<string, FaultCounts> {
  return Object.fromEntries([...byRoute].map(([r, c]) => [r, { injected: { ...c.injected }, skipped: { ...c.skipped } }]));
}

/**
 * A metrics `collect` callback with the fault families added.
 * @example createMetrics({ collect: withFaultMetrics(collectAppState({ config })) })
 */
export function withFaultMetrics(collect: () => MetricFamily[]): () => MetricFamily[] {
  return () => [...collect(), ...collectFaults()];
}

function collectFaults(): MetricFamily[] {
  if (byRoute.size === 0) return [];
  const rows = [...byRoute];
  return [
    {
      name: 'fieldlab_fault_injected_total',
      help: 'Faults injected by fault: (abort with a status, connection reset, delay), by route and kind',
      type: 'counter',
      samples: rows.flatMap(([route, c]) =>
        Object.entries(c.injected).map(([kind, value]) => ({
          labels: { route, kind },
          value,
        })),
      ),
    },
    {
      name: 'fieldlab_fault_skipped_total',
      help: 'Faults drawn but not injected: kill switch off, or the route at fault.maxActive',
      type: 'counter',
      samples: rows.flatMap(([route, c]) =>
        Object.entries(c.skipped).map(([reason, value]) => ({
          labels: { route, reason },
          value,
        })),
      ),
    },
  ];
}
