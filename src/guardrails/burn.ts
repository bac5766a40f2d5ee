/**
 * Multiwindow burn-rate rules (Google SRE workbook, "Alerting on SLOs") scoped to the variant's own
 * traffic. Burn rate = error ratio / budget, budget = 1 − availability; a rule fires when both its long
 * and its short window burn at ≥ `factor` (the long one for precision, the short one so it stops
 * firing soon after recovery). Service-wide rules are blind to a small canary — a dead 1 % canary
 * adds only 1 % errors — so the windows here are scaled down and see the variant alone.
 *
 * The control is read through the same windows: if it burns as much as the variant (within the
 * tolerance), the service is failing, not the variant, and the engine pauses and alerts instead of
 * rolling back. These rules are absolute thresholds with no false-alarm guarantee, so a floor on bad
 * events in the long window keeps one unlucky request at low traffic from firing them.
 */
import type { BurnEvidence } from './types.js';
import type { WindowTotals } from './windows.js';

/** One rule. */
export interface BurnRule {
  name: string;
  longMs: number;
  shortMs: number;
  factor: number;
}

/**
 * Workbook factors on windows scaled for a canary: 14.4× over 5 m & 1 m (fast), 6× over 30 m & 6 m
 * (slow). At 14.4× a 30-day budget would last 2 days; a canary has no business burning that fast.
 */
export const DEFAULT_BURN_RULES: readonly BurnRule[] = [
  { name: 'burn-rate-fast', longMs: 300_000, shortMs: 60_000, factor: 14.4 },
  { name: 'burn-rate-slow', longMs: 1_800_000, shortMs: 360_000, factor: 6 },
];

/** Least bad variant events in the long window before a rule may fire. */
export const MIN_BURN_EVENTS = 5;

/** Window totals of one arm for one rule. */
export interface BurnWindows {
  long: WindowTotals;
  short: WindowTotals;
}

/**
 * Evaluates `rule` for the variant against the control.
 * @example
 * burnEvidence(DEFAULT_BURN_RULES[0], 0.01, 1.5, variantWindows, controlWindows).firing
 */
export function burnEvidence(rule: BurnRule, budget: number, tolerance: number, variant: BurnWindows, control: BurnWindows): BurnEvidence {
  const variantLong = burnRate(variant.long, budget);
  const variantShort = burnRate(variant.short, budget);
  const controlLong = burnRate(control.long, budget);
  const controlShort = burnRate(control.short, budget);
  const firing =
    budget > 0 &&
    variant.long.bad >= MIN_BURN_EVENTS &&
    variantLong !== null &&
    variantShort !== null &&
    variantLong >= rule.factor &&
    variantShort >= rule.factor;
  // "Shared" when the variant's long-window ratio to the control is within the tolerance: the
  // control burns at least variant/tolerance, so blaming the variant would be wrong.
  const shared = firing && controlLong !== null && controlLong * tolerance >= variantLong!;
  return {
    rule: rule.name,
    longMs: rule.longMs,
    shortMs: rule.shortMs,
    factor: rule.factor,
    budget,
    variantLong,
    variantShort,
    controlLong,
    controlShort,
    variantBadLong: variant.long.bad,
    firing,
    shared,
  };
}

/**
 * Error ratio over budget; capped events are out of both numerator and denominator. Null without requests.
 * @example burnRate({ requests: 1000, bad: 20, slow: 0, capped: 0 }, 0.01) // 2
 */
export function burnRate(w: WindowTotals, budget: number): number | null {
  const n = w.requests - w.capped;
  if (n <= 0 || budget <= 0) return null;
  return w.bad / n / budget;
}

/**
 * Window lengths in whole seconds the rules need, for createArmWindows.
 * @example windowSeconds(DEFAULT_BURN_RULES) // [300, 60, 1800, 360]
 */
export function windowSeconds(rules: readonly BurnRule[]): number[] {
  return rules.flatMap((r) => [Math.round(r.longMs / 1000), Math.round(r.shortMs / 1000)]);
}
