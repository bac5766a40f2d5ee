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

/** Rules per guardrails config object: compiled once, not per request (config objects are immutable). */
const compiled = new WeakMap<RawGuardrails, OutcomeRules>();
const DEFAULT_RULES: OutcomeRules = { badStatuses: new Set(), slowMs: Number.POSITIVE_INFINITY };

/** Rules for a route (defaults when it has no `guardrails:`). */
export function outcomeRules(g: RawGuardrails | undefined): OutcomeRules {
  if (!g) return DEFAULT_RULES;
  let rules = compiled.get(g);
  if (!rules)
    compiled.set(g, (rules = { badStatuses: new Set(g.badStatuses ?? []), slowMs: g.slo.latency?.p99 ?? Number.POSITIVE_INFINITY }));
  return rules;
}

/** How an exchange counts. */
export type Outcome = Readonly<{ bad: boolean; slow: boolean; counted: boolean }>;

// The five possible answers, shared: classifying allocates nothing (three observers call it per request).
const NOT_COUNTED: Outcome = Object.freeze({ bad: false, slow: false, counted: false });
const OUTCOMES: readonly Outcome[] = [false, true].flatMap((bad) =>
  [false, true].map((slow) => Object.freeze({ bad, slow, counted: true })),
);

/**
 * Classifies one exchange.
 * @example classifyOutcome(rules, 503, 12) // { bad: true, slow: false, counted: true }
 */
export function classifyOutcome(rules: OutcomeRules, status: number, latencyMs: number): Outcome {
  if (status === 499) return NOT_COUNTED;
  const bad = status >= 500 || status === 0 || rules.badStatuses.has(status);
  return OUTCOMES[(bad ? 2 : 0) + (latencyMs > rules.slowMs ? 1 : 0)]!;
}
