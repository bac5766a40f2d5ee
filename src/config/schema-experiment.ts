/**
 * The `experiment:` part of a route: goals defined from traffic (a request matching method, path
 * template and status class, optionally a response header or JSON field, by the same unit after its
 * first exposure), the planned minimum duration and sample, and the per-unit attribution window.
 * The unit is the route's sticky key.
 */
import { z } from 'zod';
import { Duration, Method, Name } from './schema-primitives.js';
import { Bandit, checkBandit } from './schema-bandit.js';
import { LayerRef, When } from './schema-targeting.js';

/** `2xx`, `4xx`, … or `any`. */
const StatusClass = z
  .string()
  .regex(/^(?:[1-5]xx|any)$/, 'use 1xx…5xx or any')
  .describe('Status class the response must have: 2xx (default), 3xx, 4xx, 5xx or any');

/** A response header that must be present, optionally with one exact value. */
const HeaderMatch = z.strictObject({
  name: z.string().min(1).describe('Response header name (case-insensitive)'),
  value: z.string().prefault('*').describe('Exact value, or "*" for any value'),
});

/** A top-level or dotted field of a JSON response body that must equal a value. */
const JsonMatch = z.strictObject({
  field: z
    .string()
    .regex(/^[^.\s]+(?:\.[^.\s]+)*$/, 'use a dotted path like status or order.state')
    .describe('Dotted field path in the JSON response body'),
  equals: z.union([z.string(), z.number(), z.boolean()]).describe('Value the field must equal'),
});

const GoalMatch = z.strictObject({
  method: z
    .union([Method, z.array(Method)])
    .optional()
    .describe('Method(s) of the goal request (default: any)'),
  path: z
    .string()
    .regex(/^\//, 'paths start with "/"')
    .describe('Exact (/a/b), prefix (/api/*) or templated (/orders/:id) path, as in routes'),
  status: StatusClass.prefault('2xx'),
  header: HeaderMatch.optional().describe('A response header the goal response must carry'),
  json: JsonMatch.optional().describe('A JSON response field the goal response must have (bodies up to 64 KiB are read)'),
});

/** One goal. */
export const Goal = z
  .strictObject({
    name: Name.describe('Goal name, shown in results'),
    kind: z
      .enum(['conversion', 'count', 'value'])
      .prefault('conversion')
      .describe('conversion: did the unit do it; count: how often; value: sum of a numeric JSON field (value:)'),
    route: Name.optional().describe('Only requests routed by this route count (default: any route)'),
    match: GoalMatch,
    value: z
      .string()
      .regex(/^[^.\s]+(?:\.[^.\s]+)*$/, 'use a dotted path like total or order.total')
      .optional()
      .describe('value goals: dotted numeric field of the JSON response body to sum (bodies up to 64 KiB are read)'),
  })
  .superRefine((g, ctx) => {
    if (g.kind === 'value' && g.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'a value goal needs value: (the JSON field to sum)' });
    }
    if (g.kind !== 'value' && g.value !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: 'value: applies to kind: value goals only' });
    }
  });

/** `experiment: { goals, minDuration, minUnits, window, alpha, correction, when, layer }` on a route. */
export const Experiment = z
  .strictObject({
    goals: z
      .array(Goal)
      .prefault([])
      .describe('What success looks like; vital signs (requests, errors, latency per unit) are always measured')
      .refine((gs) => new Set(gs.map((g) => g.name)).size === gs.length, { message: 'goal names must be unique' }),
    minDuration: Duration.prefault('7d').describe('Planned least duration; results are "early" before it (a weekly cycle by default)'),
    minUnits: z.number().int().min(1).prefault(100).describe('Least units per arm; results are "early" below it'),
    window: Duration.prefault('72h')
      .refine((ms) => ms >= 60_000, { message: 'window is at least 1m' })
      .describe('A goal counts when the unit reaches it within this time after its first exposure (at least 1m)'),
    alpha: z.number().gt(0).lt(0.5).prefault(0.05).describe('1 - confidence level of the intervals'),
    correction: z
      .enum(['bonferroni', 'none'])
      .prefault('bonferroni')
      .describe(
        'Multiple comparisons: bonferroni runs each goal x variant comparison at alpha / their number (default); none at alpha each',
      ),
    when: When.optional(),
    layer: LayerRef.optional(),
    allocation: z
      .enum(['fixed', 'bandit'])
      .prefault('fixed')
      .describe("fixed: the route's weights (default); bandit: Thompson sampling moves them toward the best arm (bandit:)"),
    bandit: Bandit.optional(),
  })
  .superRefine(checkBandit)
  .describe('Experiment results from traffic: goals, lift with anytime-valid intervals, SRM and leak diagnostics');

export type RawExperiment = z.output<typeof Experiment>;
export type RawGoal = z.output<typeof Goal>;

/**
 * Cross-references of every route's experiment: a goal's `route:` names a route of the file.
 * Called from the config's reference check (it needs every route name).
 * @example checkExperimentRoutes(cfg.routes, ctx)
 */
export function checkExperimentRoutes(
  routes: readonly { readonly name: string; readonly experiment?: RawExperiment | undefined }[],
  ctx: z.RefinementCtx,
): void {
  const names = new Set(routes.map((r) => r.name));
  routes.forEach((route, i) => {
    route.experiment?.goals.forEach((g, j) => {
      if (g.route !== undefined && !names.has(g.route)) {
        ctx.addIssue({ code: 'custom', path: ['routes', i, 'experiment', 'goals', j, 'route'], message: `unknown route "${g.route}"` });
      }
    });
  });
}
