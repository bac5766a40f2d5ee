/**
 * Thompson sampling's weights for one update, pure: each arm's Beta(1 + conversions, 1 + misses)
 * posterior (a uniform prior), P(arm is best) estimated from `draws` joint draws, then a floor for
 * every open arm and the nested-range lane cap (a variant can own at most its lane, 100 / variants
 * percent; the excess goes to control). Closed arms (rolled back by a guardrail) get 0.
 */
import { betaSample } from '../stats/beta.js';
import type { Rng } from '../stats/random.js';

/** One arm's evidence on the bandit's goal. */
export interface ArmEvidence {
  readonly arm: string;
  readonly units: number;
  readonly conversions: number;
  /** False when a guardrail rolled the arm back: it gets no new units. */
  readonly open: boolean;
}

/** One arm's posterior and share, as stored with each decision. */
export interface ArmPosterior {
  readonly arm: string;
  readonly alpha: number;
  readonly beta: number;
  readonly mean: number;
  /** Share of draws where this arm was best. */
  readonly pBest: number;
  /** Percent of new units, after the floor and the lane cap. */
  readonly percent: number;
}

/**
 * Computes the weights; arms[0] is control.
 * @example thompsonWeights([{ arm: 'control', units: 100, conversions: 10, open: true }, { arm: 'v2', units: 100, conversions: 20, open: true }], { draws: 2000, floor: 5, rnd: mulberry32(1) })
 */
export function thompsonWeights(
  arms: readonly ArmEvidence[],
  opts: { readonly draws: number; readonly floor: number; readonly rnd: Rng },
): ArmPosterior[] {
  const t = startThompson(arms, opts);
  t.draw(opts.draws);
  return t.result();
}

/** Thompson sampling in slices: `draw(n)` adds n joint draws, `result()` turns the wins into weights. */
export interface ThompsonRun {
  draw(n: number): void;
  result(): ArmPosterior[];
}

/**
 * The same computation as `thompsonWeights`, drawn a slice at a time, so the runtime can yield to the
 * event loop between slices (10,000 draws are ~13 ms; a slice of 500 stays under a millisecond).
 * @example const t = startThompson(arms, { floor: 5, rnd }); t.draw(500); t.draw(500); t.result()
 */
export function startThompson(arms: readonly ArmEvidence[], opts: { readonly floor: number; readonly rnd: Rng }): ThompsonRun {
  const post = arms.map((a) => {
    const conv = Math.min(Math.max(0, a.conversions), a.units);
    return { alpha: 1 + conv, beta: 1 + a.units - conv };
  });
  const wins = arms.map(() => 0);
  const open = arms.map((a, i) => (i === 0 ? true : a.open));
  let draws = 0;
  return {
    draw(n) {
      for (let d = 0; d < n; d++) {
        let best = -1;
        let bestX = -1;
        for (let i = 0; i < arms.length; i++) {
          if (!open[i]) continue;
          const x = betaSample(opts.rnd, post[i]!.alpha, post[i]!.beta);
          if (x > bestX) [best, bestX] = [i, x];
        }
        wins[best]!++;
      }
      draws += n;
    },
    result() {
      const pBest = wins.map((w) => (draws > 0 ? w / draws : 0));
      const percents = allocate(pBest, open, opts.floor);
      return arms.map((a, i) => ({
        arm: a.arm,
        alpha: post[i]!.alpha,
        beta: post[i]!.beta,
        mean: post[i]!.alpha / (post[i]!.alpha + post[i]!.beta),
        pBest: pBest[i]!,
        percent: percents[i]!,
      }));
    },
  };
}

/**
 * Shares → percents: every open arm gets `floor` (less when the arms can't all have it), the rest in
 * proportion to `shares`; a variant above its lane keeps the lane and control takes the excess.
 * Rounded to buckets (0.01%).
 * @example allocate([0.5, 0.5], [true, true], 5) // [50, 50]
 */
export function allocate(shares: readonly number[], open: readonly boolean[], floor: number): number[] {
  const n = open.filter(Boolean).length;
  const f = Math.min(floor, 100 / n);
  const sum = shares.reduce((s, x, i) => s + (open[i] ? x : 0), 0);
  const free = 100 - f * n;
  const raw = shares.map((x, i) => (open[i] ? f + free * (sum > 0 ? x / sum : 1 / n) : 0));
  const lane = 100 / Math.max(1, shares.length - 1);
  const out = raw.map((p, i) => (i === 0 ? 0 : Math.round(Math.min(p, lane) * 100) / 100));
  out[0] = Math.round((100 - out.slice(1).reduce((a, b) => a + b, 0)) * 100) / 100;
  return out;
}
