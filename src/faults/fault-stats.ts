/**
 * Counts of injected and skipped faults per route. Process-wide like the force counters
 * (routing/force-stats.ts), so a reload doesn't reset them; read at scrape time and by GET /faults.
 */
import type { MetricFamily } from '../telemetry/prom-text.js';
import type { FaultKind } from './decide.js';
import { HEADER_RESULTS, type HeaderResult } from './header.js';

/** Why a drawn fault was not injected: the kill switch was off, or the route's maxActive was reached. */
export type FaultSkip = 'off' | 'max-active';

/** One route's counts. */
export interface FaultCounts {
  injected: Record<FaultKind, number>;
  skipped: Record<FaultSkip, number>;
  /** Signed QA requests for a fault (`fault.header`): followed, or why refused. */
  header: Record<HeaderResult, number>;
}

const byRoute = new Map<string, FaultCounts>();

function countsOf(route: string): FaultCounts {
  let c = byRoute.get(route);
  if (!c)
    byRoute.set(
      route,
      (c = {
        injected: { abort: 0, reset: 0, delay: 0, 'first-byte': 0, throttle: 0 },
        skipped: { off: 0, 'max-active': 0 },
        header: Object.fromEntries(HEADER_RESULTS.map((r) => [r, 0])) as Record<HeaderResult, number>,
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
 * Counts one signed fault request on `route`: followed, or why it was refused.
 * @example countHeader('checkout', 'expired')
 */
export function countHeader(route: string, result: HeaderResult): void {
  countsOf(route).header[result]++;
}

/**
 * A copy of every route's counts that saw a fault drawn.
 * @example faultCounts().checkout?.injected.abort
 */
export function faultCounts(): Record<string, FaultCounts> {
  return Object.fromEntries(
    [...byRoute].map(([r, c]) => [r, { injected: { ...c.injected }, skipped: { ...c.skipped }, header: { ...c.header } }]),
  );
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
  return [
    family(
      'fieldlab_fault_injected_total',
      'Faults injected by fault: (abort with a status, connection reset, delay, response first-byte delay, response throttle), by route and kind',
      'kind',
      (c) => c.injected,
    ),
    family(
      'fieldlab_fault_skipped_total',
      'Faults drawn but not injected: kill switch off, or the route at fault.maxActive',
      'reason',
      (c) => c.skipped,
    ),
    family(
      'fieldlab_fault_header_total',
      'Signed QA requests for a fault (fault.header), by result: followed, or why refused',
      'result',
      (c) => c.header,
    ),
  ];
}

function family(name: string, help: string, label: string, pick: (c: FaultCounts) => Record<string, number>): MetricFamily {
  const samples = [...byRoute].flatMap(([route, c]) =>
    Object.entries(pick(c)).map(([v, value]) => ({ labels: { route, [label]: v }, value })),
  );
  return { name, help, type: 'counter', samples };
}
