/**
 * `experiment.bandit:` — how a route with `allocation: bandit` moves its weights: Thompson sampling
 * on one conversion goal, re-weighed every few seconds from the stored results, with a floor per arm
 * and a burn-in of equal weights. Only conversion goals: their Beta posterior is exact and needs no
 * prior on a scale; count and value goals are refused at load (see checkBandit).
 */
import { z } from 'zod';
import { Duration, Name, Percent } from './schema-primitives.js';

/** The bandit's knobs. */
export const Bandit = z
  .strictObject({
    goal: Name.describe('The conversion goal (of this experiment) whose posterior decides the weights'),
    every: Duration.prefault('5s')
      .refine((ms) => ms >= 1000, { message: 'every is at least 1s' })
      .describe('How often the weights are recomputed from the stored results (at least 1s)'),
    floor: Percent.prefault(5).describe('Least percent of new units every open arm keeps, so no arm is starved'),
    burnIn: Duration.prefault('10m').describe('Equal weights for this long after the first exposure'),
    draws: z
      .number()
      .int()
      .min(100)
      .max(100_000)
      .prefault(10_000)
      .describe('Posterior draws per update (Monte Carlo P(best); 10,000 keep its noise near ±0.5 points)'),
    minChange: Percent.prefault(2).describe('A weight change smaller than this (percentage points) is not applied nor stored'),
    maxUnits: z
      .number()
      .int()
      .min(1)
      .max(10_000_000)
      .prefault(100_000)
      .describe('Units whose arm this replica remembers (oldest forgotten first) to keep them sticky while weights move'),
  })
  .describe('Thompson-sampling allocation (allocation: bandit)');

export type RawBandit = z.output<typeof Bandit>;

/**
 * Cross-checks `allocation`, `bandit:` and the goals of one experiment.
 * @example Experiment.superRefine(checkBandit)
 */
export function checkBandit(
  e: {
    readonly allocation: 'fixed' | 'bandit';
    readonly bandit?: RawBandit | undefined;
    readonly goals: readonly { name: string; kind: string }[];
  },
  ctx: z.RefinementCtx,
): void {
  if (e.allocation === 'fixed') {
    if (e.bandit) ctx.addIssue({ code: 'custom', path: ['bandit'], message: 'bandit: applies to allocation: bandit only' });
    return;
  }
  if (!e.bandit) {
    ctx.addIssue({ code: 'custom', path: ['allocation'], message: 'allocation: bandit needs bandit: { goal: <a conversion goal> }' });
    return;
  }
  const goal = e.goals.find((g) => g.name === e.bandit!.goal);
  if (!goal) ctx.addIssue({ code: 'custom', path: ['bandit', 'goal'], message: `unknown goal "${e.bandit.goal}"` });
  else if (goal.kind !== 'conversion')
    ctx.addIssue({
      code: 'custom',
      path: ['bandit', 'goal'],
      message: `goal "${goal.name}" is a ${goal.kind} goal; a bandit needs a conversion goal (Beta posterior)`,
    });
}
