/**
 * Service-wide burn-rate rules (Google SRE workbook, "Alerting on SLOs": multiwindow, multi-burn-rate)
 * on both arms pooled. Burn rate = observation rate / budget, budget = 1 − availability. A rule fires
 * only when (1) its long window holds a full window of evidence, (2) both windows burn at ≥ `factor`,
 * and (3) an e-detector (rate-test.ts) has evidence that the pooled rate exceeds factor × budget, with
 * a mean time to a false alarm of at least DETECTOR_ARL seconds (each second's count capped at 3× what
 * the rule allows, so a burst of correlated errors counts as a few). A firing rule never blames the
 * variant: the service is failing, so the engine pauses the rollout and alerts. A variant that is
 * worse than the control is caught by the ratio test, which compares it with the concurrent control.
 */
import { detectorLogE, detectorStep } from './rate-test.js';
import type { BurnEvidence } from './types.js';
import type { WindowTotals } from './windows.js';

/** One rule. */
export interface BurnRule {
  name: string;
  longMs: number;
  shortMs: number;
  factor: number;
}

/** Workbook factors on windows scaled for a rollout: 14.4× over 5 m & 1 m, 6× over 30 m & 6 m. */
export const DEFAULT_BURN_RULES: readonly BurnRule[] = [
  { name: 'burn-rate-fast', longMs: 300_000, shortMs: 60_000, factor: 14.4 },
  { name: 'burn-rate-slow', longMs: 1_800_000, shortMs: 360_000, factor: 6 },
];

/** Mean seconds to a false firing of one rule's detector when the service is within the rule (≈ 11.6 days). */
export const DETECTOR_ARL = 1_000_000;

/** One rule's detector state. */
export interface DetectorState {
  logG: number[];
  firing: boolean;
}

/**
 * Advances a rule's detector by one second of pooled evidence.
 * @example d.logG = advanceDetector(d, rule, 0.001, exposure, badObs)
 */
export function advanceDetector(d: DetectorState, rule: BurnRule, budget: number, n: number, events: number): number[] {
  return detectorStep(d.logG, rule.factor * budget, n, events);
}

/**
 * Reads one rule: windows of the pooled arms, of the variant and of the control.
 * @example burnEvidence(rule, 0.001, pooled, variant, control, detector, evidenceAgeMs).firing
 */
export function burnEvidence(
  rule: BurnRule,
  budget: number,
  pooled: { long: WindowTotals; short: WindowTotals },
  variant: WindowTotals,
  control: WindowTotals,
  detector: DetectorState,
  evidenceAgeMs: number,
): BurnEvidence {
  const pooledLong = burnRate(pooled.long, budget);
  const pooledShort = burnRate(pooled.short, budget);
  const windowFull = evidenceAgeMs >= rule.longMs;
  const logE = detectorLogE(detector.logG);
  const logThreshold = Math.log(DETECTOR_ARL);
  const firing =
    budget > 0 &&
    windowFull &&
    pooledLong !== null &&
    pooledShort !== null &&
    pooledLong >= rule.factor &&
    pooledShort >= rule.factor &&
    logE >= logThreshold;
  return {
    rule: rule.name,
    longMs: rule.longMs,
    shortMs: rule.shortMs,
    factor: rule.factor,
    budget,
    pooledLong,
    pooledShort,
    variantLong: burnRate(variant, budget),
    controlLong: burnRate(control, budget),
    windowFull,
    detectorLogE: logE,
    detectorLogThreshold: logThreshold,
    evidenceMs: evidenceAgeMs,
    firing,
    heldBack: firing ? [] : heldBack(rule, budget, windowFull, evidenceAgeMs, pooledLong, pooledShort, logE, logThreshold),
  };
}

/**
 * Why a rule is not firing, one sentence per unmet condition, so a burn rate above its factor next
 * to `firing: false` explains itself (most often: the detector's evidence, whose per-second count is
 * capped at 3× what the rule allows, has not reached its threshold yet).
 */
function heldBack(
  rule: BurnRule,
  budget: number,
  windowFull: boolean,
  ageMs: number,
  long: number | null,
  short: number | null,
  logE: number,
  logThreshold: number,
): string[] {
  if (budget <= 0) return ['no error budget (availability 100%): burn rules are off'];
  const out: string[] = [];
  const s = (ms: number) => `${Math.round(ms / 1000)} s`;
  if (!windowFull) out.push(`long window not full: ${s(ageMs)} of evidence, needs ${s(rule.longMs)}`);
  const below = (name: string, v: number | null, ms: number) => {
    if (v === null) out.push(`no requests in the ${name} window (${s(ms)})`);
    else if (v < rule.factor) out.push(`${name}-window burn ${+v.toPrecision(3)} below the factor ${rule.factor}`);
  };
  below('long', long, rule.longMs);
  below('short', short, rule.shortMs);
  if (logE < logThreshold)
    out.push(
      `detector ln e ${+logE.toPrecision(3)} below ${+logThreshold.toPrecision(3)} (a false alarm at most every ${DETECTOR_ARL} s on average; each second counts at most 3× the errors the rule allows)`,
    );
  return out;
}

/**
 * Observation rate over budget; null without evidence requests.
 * @example burnRate({ requests: 1000, bad: 20, slow: 0, capped: 0 }, 0.01) // 2
 */
export function burnRate(w: WindowTotals, budget: number): number | null {
  if (w.requests <= 0 || budget <= 0) return null;
  return w.bad / w.requests / budget;
}

/**
 * Window lengths in whole seconds the rules need, for createArmWindows.
 * @example windowSeconds(DEFAULT_BURN_RULES) // [300, 60, 1800, 360]
 */
export function windowSeconds(rules: readonly BurnRule[]): number[] {
  return rules.flatMap((r) => [Math.round(r.longMs / 1000), Math.round(r.shortMs / 1000)]);
}
