/**
 * Anytime-valid one-sample tests of a rate from counts: "p > q0" (the variant's slow share above 1 %,
 * i.e. its p99 above the SLO; the service burning faster than a rule allows) and "p < q0" (errors truly
 * rare). Each is a mixture of Bernoulli likelihood ratios over a geometric grid of alternatives, a
 * closed form of the counts (Wald's SPRT mixed as in Robbins, "Statistical methods related to the law
 * of the iterated logarithm", 1970); a nonnegative supermartingale under H0, so rejecting when
 * ln M ≥ ln(1/α) keeps false alarms ≤ α at any stopping time (Ville's inequality).
 */
import { logMeanExp } from './ratio-test.js';

const STEP = 2 ** 0.25;
const UP = 24;
const DOWN = 12;

/**
 * ln M against H0: p ≤ q0 from n trials with `events` hits (alternatives q0·2^(k/4) below 1).
 * @example rateAboveLogE(0.01, 1000, 40) >= Math.log(100) // true: 4 % slow proves p99 above the threshold
 */
export function rateAboveLogE(q0: number, n: number, events: number): number {
  if (!(q0 > 0 && q0 < 1) || n <= 0) return -Infinity;
  const k = Math.max(0, Math.min(events, n));
  const terms = new Float64Array(UP);
  let m = 0;
  for (let i = 1; i <= UP; i++) {
    const q = q0 * STEP ** i;
    if (q >= 1) break;
    terms[m++] = k * Math.log(q / q0) + (n - k) * Math.log((1 - q) / (1 - q0));
  }
  return logMeanExp(terms.subarray(0, m), UP);
}

/**
 * ln M against H0: p ≥ q0 (alternatives q0·2^(−k/4), k = 1 … 12).
 * @example rateBelowLogE(0.001, 10_000, 0) >= Math.log(100) // true: 10 000 clean requests prove p < 0.1 %
 */
export function rateBelowLogE(q0: number, n: number, events: number): number {
  if (!(q0 > 0 && q0 < 1) || n <= 0) return -Infinity;
  const k = Math.max(0, Math.min(events, n));
  const terms = new Float64Array(DOWN);
  for (let i = 1; i <= DOWN; i++) {
    const q = q0 * STEP ** -i;
    terms[i - 1] = k * Math.log(q / q0) + (n - k) * Math.log((1 - q) / (1 - q0));
  }
  return logMeanExp(terms, DOWN);
}

/** Alternatives of the burn detector: q0 × 2, 4, 8. */
const DETECTOR_ALTERNATIVES = [2, 4, 8];

/**
 * One second of an e-CUSUM change detector against H0: p ≤ q0 (Shin, Ramdas & Rinaldo, "E-detectors:
 * a nonparametric framework for sequential change detection", 2024): per alternative,
 * G ← max(G, 1) · LR(second). Under H0 the mean time until the average of the G reaches c is ≥ c
 * seconds. Returns the new ln G per alternative.
 * @example let g = [0, 0, 0]; g = detectorStep(g, 0.0144, 50, 3)
 */
export function detectorStep(logG: readonly number[], q0: number, n: number, events: number): number[] {
  const out = logG.length === DETECTOR_ALTERNATIVES.length ? (logG as number[]) : DETECTOR_ALTERNATIVES.map(() => 0);
  const k = Math.max(0, Math.min(events, n));
  const logs = logRatios(q0);
  for (let i = 0; i < DETECTOR_ALTERNATIVES.length; i++) {
    const prev = Math.max(out[i] ?? 0, 0);
    out[i] = logs === null || n <= 0 ? prev : prev + k * logs[2 * i]! + (n - k) * logs[2 * i + 1]!;
  }
  return out;
}

/** ln(q/q0) and ln((1 − q)/(1 − q0)) per alternative, cached per q0 (a rule's q0 never changes). */
const ratioCache = new Map<number, Float64Array | null>();
function logRatios(q0: number): Float64Array | null {
  let r = ratioCache.get(q0);
  if (r !== undefined) return r;
  if (ratioCache.size > 64) ratioCache.clear();
  r = new Float64Array(2 * DETECTOR_ALTERNATIVES.length);
  for (let i = 0; i < DETECTOR_ALTERNATIVES.length; i++) {
    const q = Math.min(q0 * DETECTOR_ALTERNATIVES[i]!, 0.999);
    if (!(q0 > 0 && q0 < q)) {
      r = null;
      break;
    }
    r[2 * i] = Math.log(q / q0);
    r[2 * i + 1] = Math.log((1 - q) / (1 - q0));
  }
  ratioCache.set(q0, r);
  return r;
}

/**
 * ln of the detector's statistic (the mean over alternatives).
 * @example detectorLogE([0, 0, 0]) // 0
 */
export function detectorLogE(logG: readonly number[]): number {
  if (logG.length === 0) return 0;
  let max = -Infinity;
  for (const g of logG) if (g > max) max = g;
  let sum = 0;
  for (const g of logG) sum += Math.exp(g - max);
  return max + Math.log(sum / logG.length);
}
