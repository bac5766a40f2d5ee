/**
 * The `rollout:` and `guardrails:` parts of a route, and top-level `tracing:`. Guardrails compare
 * each variant with the concurrent control and act on breach; a rollout steps a variant's weight
 * up while the evidence says it is safe.
 */
import { z } from 'zod';
import { Duration, Percent, Ratio } from './schema-primitives.js';
import { formatDuration } from './units.js';

const DEFAULT_MAX_STEP_MS = 30 * 60_000;

/** `rollout: { steps: [1, 5, 25, 50, 100], minBake: 2m, maxStep: 30m }` */
export const Rollout = z
  .strictObject({
    steps: z
      .array(Percent)
      .min(1)
      .describe('Variant weights to step through, in percent, ascending; the last step is promotion')
      .refine((s) => s.every((v, i) => i === 0 || v > s[i - 1]!), { message: 'steps must be strictly ascending' }),
    minBake: Duration.prefault('2m').describe('Least time at a step before it may advance'),
    maxStep: Duration.optional().describe(
      'Most time at a step; after it an inconclusive step holds and notifies (default 30m, or minBake when that is longer)',
    ),
    holdback: Percent.refine((p) => p > 0 && p < 100, { message: 'holdback is above 0% and below 100% (omit it for none)' })
      .optional()
      .describe('Share of units kept on control after promotion (the same units throughout: the top of the bucket space no step reaches)'),
    holdbackFor: Duration.refine((ms) => ms >= 60_000, { message: 'holdbackFor is at least 1m' })
      .optional()
      .describe(
        'How long after promotion the holdback stays; then it is released (a stored decision). Omitted: until an operator promotes again',
      ),
  })
  .superRefine((r, ctx) => {
    if (r.maxStep !== undefined && r.maxStep < r.minBake)
      ctx.addIssue({
        code: 'custom',
        path: ['maxStep'],
        message: `maxStep ${formatDuration(r.maxStep)} is shorter than minBake ${formatDuration(r.minBake)}: a step would hold (maxStep) before it may advance (minBake)`,
      });
  })
  // Unwritten, maxStep never undercuts minBake: `minBake: 1h` alone means "hold after 1h".
  .transform((r) => ({ ...r, maxStep: r.maxStep ?? Math.max(DEFAULT_MAX_STEP_MS, r.minBake) }))
  .describe('Progressive rollout of the variant(s)');

/**
 * Why a rollout step before the last conflicts with the holdback, or undefined. Promotion takes the
 * variant to (100 − holdback) / variants; a step above that would, at promotion, move units back to
 * control, and a promoted user must never flip back.
 * @example holdbackIssue(97, 5, 1) // 'step 97% leaves less than …'
 */
export function holdbackIssue(step: number, holdback: number, variants: number): string | undefined {
  const cap = (100 - holdback) / Math.max(1, variants);
  if (step <= cap + 1e-9) return undefined;
  return `step ${step}% leaves less than the holdback of ${holdback}% on control, so promotion would move units back to control; steps before the last stay at or below ${+cap.toFixed(4)}%`;
}

const Slo = z.strictObject({
  availability: Percent.prefault('99.9%').describe('Target share of good requests; 5xx, timeouts and connect errors are bad'),
  latency: z
    .strictObject({
      p99: Duration.optional().describe(
        "The variant's p99 upstream time must stay at or below this; rolls back only when it is credibly above AND slower than control's",
      ),
    })
    .optional(),
});

const Webhook = z.preprocess(
  (v) => (typeof v === 'string' ? { url: v } : v),
  z.strictObject({
    url: z.url().describe('Receives one JSON message per state change'),
    secret: z.string().optional().describe('Signs the body: x-fieldlab-signature: sha256=HMAC(secret, body)'),
    timeout: Duration.prefault('5s'),
    retries: z.number().int().min(0).max(10).prefault(5),
    format: z
      .enum(['json', 'slack', 'teams'])
      .prefault('json')
      .describe("Body shape: Fieldlab's JSON, a Slack incoming-webhook message or a Teams Adaptive Card message"),
    dashboardUrl: z.url().optional().describe('Link in every message ({route} is replaced); default: the admin API /status?route=ROUTE'),
  }),
);

/** `guardrails:` on a route. */
export const Guardrails = z
  .strictObject({
    slo: Slo.prefault({}),
    tolerance: Ratio({ min: 1 }, 'Largest acceptable ratio of variant to control bad-event rate').prefault(1.5),
    alpha: Ratio({ gt: 0, lt: 0.5 }, 'False-alarm bound of the sequential test, however often it looks').prefault(0.01),
    onBreach: z.enum(['rollback', 'pause', 'alert']).prefault('rollback'),
    badStatuses: z.array(z.number().int().min(100).max(599)).prefault([]).describe('Extra statuses counted as bad (5xx always are)'),
    minSamples: z.number().int().min(1).prefault(200).describe('Least variant requests in the current step before it can pass'),
    keyCap: z
      .number()
      .int()
      .min(1)
      .prefault(2)
      .describe('Most bad (or slow) observations one sticky key gives per minute; then it sits out the rest of the minute'),
    clientCap: z
      .number()
      .int()
      .min(0)
      .prefault(5)
      .describe('Most bad (or slow) observations one client address gives per minute; 0 turns every per-client limit off'),
    webhook: Webhook.optional(),
  })
  .describe('Automatic decisions for the variants of this route');

/** `tracing: { endpoint, sample }` (OTLP over HTTP); the standard OTEL_* variables apply too. */
export const Tracing = z
  .strictObject({
    endpoint: z.url().optional().describe('OTLP/HTTP traces endpoint (default: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT or …/v1/traces)'),
    sample: Ratio({ min: 0, max: 1 }, 'Share of new traces sampled; a sampled parent is always respected').prefault(1),
    serviceName: z.string().prefault('fieldlab'),
  })
  .describe('OpenTelemetry tracing; omit to disable (no cost)');
