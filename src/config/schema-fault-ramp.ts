/**
 * `fault.ramp` (the sick-canary ramp, issue 14): raise a fault step by step on a small sticky slice
 * of units — delays (`delays: [100ms, 250ms, …]`) or abort shares (`aborts: [0.1%, 0.5%, …]`) — and
 * judge each step against the route's unfaulted units on the vital signs and on a goal, until the
 * first harm or the injected-failure budget: the breaking point. The goal it names is checked
 * against the route's `experiment.goals` (`checkRampGoal`).
 */
import { z } from 'zod';
import { Duration, Name, Percent, Ratio } from './schema-primitives.js';

/** `fault.ramp` on a route. */
export const FaultRamp = z
  .strictObject({
    delays: z
      .array(Duration)
      .min(1)
      .max(20)
      .optional()
      .describe('Delay levels, weakest first (e.g. [100ms, 250ms, 500ms, 1s]): every request of a slice unit is held this long'),
    aborts: z
      .array(Percent)
      .min(1)
      .max(20)
      .optional()
      .describe('Abort levels, weakest first (e.g. [0.1%, 0.5%, 1%, 5%]): the share of a slice unit’s requests answered with status'),
    status: z.number().int().min(200).max(599).prefault(503).describe('Status of an injected abort (default 503)'),
    percent: Percent.describe('The sticky slice: share of units (by the fault slice hash) that get the ramp’s fault'),
    dwell: Duration.prefault('5m').describe('Least time per step; a step passes only after it, with no harm found'),
    minUnits: z.number().int().min(2).prefault(30).describe('Least units per group (slice, control) before a step may pass'),
    goal: Name.optional().describe('A goal of this route’s experiment (experiment.goals) judged per step: slice vs control'),
    maxDrop: Percent.prefault(0).describe('Harm on the goal: its relative drop is proven larger than this (default 0: any proven drop)'),
    vitals: z.boolean().prefault(true).describe('Also judge the vital signs: the slice’s real error rate against control’s'),
    tolerance: z
      .number()
      .gt(1)
      .max(100)
      .prefault(1.5)
      .describe('Harm on the vital signs: slice error rate proven above tolerance × control'),
    alpha: Ratio({ gt: 0, lt: 0.5 }, 'False-alarm bound of each step’s tests').prefault(0.05),
    budget: Percent.optional().describe(
      'Injected-failure budget: share of the route’s error budget (1 − slo.availability of its requests) injected failures may spend',
    ),
    run: z.string().max(100).prefault('1').describe('Identity of this ramp; change it to start the ramp again from its first level'),
  })
  .refine((r) => (r.delays === undefined) !== (r.aborts === undefined), 'a ramp needs delays: or aborts: (one of them)')
  .refine((r) => isRising(r.delays ?? r.aborts ?? []), 'ramp levels must rise strictly, weakest first')
  .refine((r) => (r.delays ?? []).every((d) => d > 0 && d <= 60_000), 'a ramp delay is above 0 and at most 60s')
  .refine((r) => r.goal !== undefined || r.vitals, 'a ramp judged on nothing: set goal:, or keep vitals: true')
  .describe('The sick-canary ramp: raise a fault step by step on a sticky slice until it hurts (the breaking point)');

/** The validated `fault.ramp`. */
export type RawFaultRamp = z.output<typeof FaultRamp>;

function isRising(xs: readonly number[]): boolean {
  return xs.every((x, i) => i === 0 || x > xs[i - 1]!);
}

/**
 * Reports a `fault.ramp.goal` that is not a goal of the route's experiment.
 * @example checkRampGoal({ fault: { ramp: { goal: 'buy' } } }, report) // "buy" is not a goal …
 */
export function checkRampGoal(route: Record<string, unknown>, report: (path: (string | number)[], message: string) => void): void {
  const goal = ((route.fault as { ramp?: { goal?: unknown } } | undefined)?.ramp as { goal?: unknown } | undefined)?.goal;
  if (typeof goal !== 'string') return;
  const goals = (route.experiment as { goals?: unknown } | undefined)?.goals;
  const names = Array.isArray(goals) ? goals.map((g) => (g as { name?: unknown } | null)?.name) : [];
  if (!names.includes(goal)) report(['fault', 'ramp', 'goal'], `"${goal}" is not a goal of this route's experiment (experiment.goals)`);
}
