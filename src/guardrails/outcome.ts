/**
 * What counts as a bad or slow event for an arm: 5xx (including the proxy's own 502/503/504 for
 * connect errors, resets and timeouts), plus the route's extra `badStatuses`; slow when over the
 * route's latency SLO. A client that went away (499) is neither: it says nothing about the arm.
 */
import type { RawGuardrails } from '../config/schema.js';

/** Per-route classification rules, precomputed. */
export interface OutcomeRules {
  readonly badStatuses: ReadonlySet<number>;
  /** Latency threshold in ms (Infinity when the route has no latency SLO). */
  readonly slowMs: number;
}

/** Rules for a route (defaults when it has no `guardrails:`). */
export function outcomeRules(g: RawGuardrails | undefined): OutcomeRules {
  return { badStatuses: new Set(g?.badStatuses ?? []), slowMs: g?.slo.latency?.p99 ?? Number.POSITIVE_INFINITY };
}

/**
 * Classifies one exchange.
 * @example classifyOutcome(rules, 503, 12) // { bad: true, slow: false, counted: true }
 */
export function classifyOutcome(rules: OutcomeRules, status: number, latencyMs: number): { bad: boolean; slow: boolean; counted: boolean } {
  if (status === 499) return { bad: false, slow: false, counted: false };
  return { bad: status >= 500 || status === 0 || rules.badStatuses.has(status), slow: latencyMs > rules.slowMs, counted: true };
}
