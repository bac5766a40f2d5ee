/**
 * Anytime-valid test that a variant's bad-event rate is at most `tolerance` × the control's, and the
 * matching upper confidence bound on the ratio. Valid however often it is looked at, and its evidence
 * carries across rollout steps (1 % → 5 % → 25 %) without restarting.
 *
 * Model. Let ρ = p_variant / p_control. When a bad event happens on either arm at an instant where the
 * variant has share s of the two arms' traffic (variant vs control; other variants excluded), it fell
 * on the variant with probability
 *
 *     θ(ρ, s) = ρ·s / (ρ·s + 1 − s)
 *
 * (the arms' bad events are independent Poisson streams with rates λ·s·p_v and λ·(1 − s)·p_c). The
 * control's own rate cancels, so there is no nuisance parameter, and because s is taken per event the
 * same likelihood pools events from every step. Events at s = 0 or 1 carry no information and are
 * skipped. This is the conditional-binomial construction of Lindon, Sanden & Shirikian, "Rapid
 * Regression Detection in Software Deployments through Sequential Testing" (KDD 2022).
 *
 * State. The log-likelihood on a geometric grid ρ_i = tolerance · 2^(i/4), i = −36…24:
 *     ll_i = Σ_events  x·ln θ(ρ_i, s) + (1 − x)·ln(1 − θ(ρ_i, s))      (x = 1 when on the variant)
 * Any likelihood ratio between grid points is exp(ll_a − ll_b), so this one array (O(grid) per event,
 * cached per share) serves every test below.
 *
 * Fail fast, H0: ρ ≤ ρ0 = tolerance. Mixture over alternatives ρ0·2^(k/4), k = 1…24 (1.19× … 64×),
 * prior weight 1/24 each (mSPRT; Johari, Pekelis & Walsh, "Always Valid Inference", Oper. Res. 2022):
 *     M_n = Σ_k w_k · exp(ll[ρ0·g^k] − ll[ρ0]).
 * For a true θ ≤ θ0 each term has E[LR] = 1 + (θ − θ0)(θk/θ0 − (1 − θk)/(1 − θ0)) ≤ 1, so M_n is a
 * nonnegative supermartingale with M_0 = 1 and Ville's inequality gives P(∃n: M_n ≥ 1/α) ≤ α:
 * rejecting the first time M ≥ 1/α keeps false alarms ≤ α at any stopping time.
 *
 * Upper bound. For each grid point r, the mirror test of H0_r: ρ ≥ r with alternatives r·2^(−k/4),
 * k = 1…12 (down to r/8), is valid for the whole half-line [r, ∞) by the same argument. The sets
 * {r : M_r < 1/α} form a confidence sequence (Howard, Ramdas, McAuliffe & Sekhon, "Time-uniform,
 * nonparametric, nonasymptotic confidence sequences", Ann. Stat. 2021); with m the highest grid point
 * not rejected, ρ < ρ_{m+1} with probability ≥ 1 − α uniformly over time. The pass gate only needs
 * the single test at r = tolerance ("ρ < tolerance"), which is O(12).
 *
 * Assumes events independent given the arm and s known before the event (the routing share). Retries
 * and one client hammering an endpoint break independence; the per-key cap (key-cap.ts) limits that.
 */
import type { SequentialState } from './types.js';

const STEP = 2 ** 0.25;
/** Alternatives above the null for fail fast, and below it for the upper bound. */
const UP = 24;
const DOWN = 12;
const LOW = 36;
const SIZE = LOW + UP + 1;
/** Index of ρ = tolerance in the grid. */
const NULL = LOW;

/** Grid multipliers of the tolerance, index 0 = 2^(−9), NULL = 1, last = 64. */
export const GRID: readonly number[] = Array.from({ length: SIZE }, (_, i) => STEP ** (i - LOW));
export const GRID_NULL = NULL;
export const FAIL_ALTERNATIVES = UP;
export const BOUND_ALTERNATIVES = DOWN;

/**
 * Probability that a bad event falls on the variant when the ratio is ρ and the variant's share is s.
 * @example theta(1.5, 0.01) // 0.014925… (= 0.015 / 1.005)
 */
export function theta(rho: number, s: number): number {
  return (rho * s) / (rho * s + 1 - s);
}

/** Running e-process of one metric for one variant. */
export interface Sequential {
  /** Adds `onVariant` events on the variant and `onControl` on the control, all at share s. */
  add(s: number, onVariant: number, onControl: number): void;
  /** ln M of the fail-fast mixture against ρ ≤ tolerance (since the last rebase). */
  failLogE(): number;
  /** ln M of the mirror test against ρ ≥ tolerance; ≥ ln(1/α) means "ρ < tolerance". */
  passLogE(): number;
  /** Smallest grid ratio r with ρ < r at confidence 1 − α; Infinity when unbounded. */
  upperBound(alpha: number): number;
  /** Restarts the fail-fast test from now (a human acknowledged a breach); the bound keeps all evidence. */
  rebase(): void;
  /** Changes on every add; lets callers skip recomputing an unchanged e-value. */
  readonly version: number;
  readonly variantEvents: number;
  readonly controlEvents: number;
  snapshot(): SequentialState;
}

interface Increments {
  onVariant: Float64Array;
  onControl: Float64Array;
}

/**
 * Creates an e-process for ratios relative to `tolerance`, optionally restored from a snapshot.
 * @example
 * const seq = createSequential(1.5);
 * seq.add(0.01, 1, 0); // one bad event on a 1 % variant
 * seq.failLogE() >= Math.log(1 / 0.01) // reject?
 */
export function createSequential(tolerance: number, restored?: SequentialState | null): Sequential {
  const rhos = GRID.map((m) => m * tolerance);
  const ok = restored && restored.ll.length === SIZE && (restored.base === null || restored.base.length === SIZE);
  const ll = ok ? Float64Array.from(restored.ll) : new Float64Array(SIZE);
  let base: Float64Array | null = ok && restored.base ? Float64Array.from(restored.base) : null;
  let variantEvents = ok ? restored.variantEvents : 0;
  let controlEvents = ok ? restored.controlEvents : 0;
  let version = 0;
  // Shares change only on a step, so a tiny cache makes an event O(grid) additions, no logs.
  const cache = new Map<number, Increments>();

  const increments = (s: number): Increments => {
    let inc = cache.get(s);
    if (inc) return inc;
    if (cache.size >= 8) cache.clear();
    inc = { onVariant: new Float64Array(SIZE), onControl: new Float64Array(SIZE) };
    const logRest = Math.log(1 - s);
    for (let i = 0; i < SIZE; i++) {
      const rs = rhos[i]! * s;
      const logDen = Math.log(rs + 1 - s);
      inc.onVariant[i] = Math.log(rs) - logDen;
      inc.onControl[i] = logRest - logDen;
    }
    cache.set(s, inc);
    return inc;
  };

  const at = (i: number) => (base ? ll[i]! - base[i]! : ll[i]!);

  return {
    add(s, onVariant, onControl) {
      if (!(s > 0 && s < 1) || onVariant + onControl <= 0) return;
      const inc = increments(s);
      for (let i = 0; i < SIZE; i++) ll[i]! += onVariant * inc.onVariant[i]! + onControl * inc.onControl[i]!;
      variantEvents += onVariant;
      controlEvents += onControl;
      version++;
    },
    failLogE() {
      const terms = new Float64Array(UP);
      const null0 = at(NULL);
      for (let k = 1; k <= UP; k++) terms[k - 1] = at(NULL + k) - null0;
      return logMeanExp(terms, UP);
    },
    passLogE() {
      return boundLogE(ll, NULL);
    },
    upperBound(alpha) {
      const limit = Math.log(1 / alpha);
      for (let j = SIZE - 1; j >= 0; j--) {
        if (boundLogE(ll, j) < limit) return j === SIZE - 1 ? Infinity : rhos[j + 1]!;
      }
      return rhos[0]!;
    },
    rebase() {
      base = Float64Array.from(ll);
      version++;
    },
    get version() {
      return version;
    },
    get variantEvents() {
      return variantEvents;
    },
    get controlEvents() {
      return controlEvents;
    },
    snapshot() {
      return { ll: Array.from(ll), base: base ? Array.from(base) : null, variantEvents, controlEvents };
    },
  };
}

/** ln of the mixture for H0: ρ ≥ GRID[j]; alternatives below the grid are dropped (conservative). */
function boundLogE(ll: Float64Array, j: number): number {
  const terms = new Float64Array(DOWN);
  let n = 0;
  for (let k = 1; k <= DOWN && j - k >= 0; k++) terms[n++] = ll[j - k]! - ll[j]!;
  return logMeanExp(terms.subarray(0, n), DOWN);
}

/** ln(Σ exp(x_i) / weightCount), stable for large |x|. */
function logMeanExp(xs: Float64Array, weightCount: number): number {
  if (xs.length === 0) return -Infinity;
  let max = -Infinity;
  for (const x of xs) if (x > max) max = x;
  let sum = 0;
  for (const x of xs) sum += Math.exp(x - max);
  return max + Math.log(sum) - Math.log(weightCount);
}

/**
 * Anytime-valid test that a rate p is below `budget` from n trials with `events` hits: ln of the
 * mixture over alternatives budget·2^(−k/4), k = 1…12, against H0: p ≥ budget. A closed form of the
 * counts, so it needs no state. Used when bad events are too rare for a ratio (both arms near zero).
 * @example rateBelowLogE(0.001, 10_000, 0) >= Math.log(100) // true: 10 000 clean requests prove p < 0.1 %
 */
export function rateBelowLogE(budget: number, n: number, events: number): number {
  if (!(budget > 0 && budget < 1) || n <= 0) return -Infinity;
  const terms = new Float64Array(DOWN);
  const misses = n - events;
  for (let k = 1; k <= DOWN; k++) {
    const q = budget * STEP ** -k;
    terms[k - 1] = events * Math.log(q / budget) + misses * Math.log((1 - q) / (1 - budget));
  }
  return logMeanExp(terms, DOWN);
}
