/**
 * The config contract as one zod definition: the YAML users write, its defaults, its units and its
 * cross-references. The JSON Schema shipped for editors is generated from this same definition.
 */
import { Fleet } from './schema-fleet.js';
import { Workers } from './schema-workers.js';
import { z } from 'zod';
import { isLoopback } from '../net/ip.js';
import { Duration, Listen, Method, Name, Percent, Size, Timeouts, Upstream } from './schema-primitives.js';
import { Shadow, Store } from './schema-shadow.js';
import { Guardrails, Rollout, Tracing } from './schema-guardrails.js';
import { checkExperimentRoutes, Experiment } from './schema-experiment.js';
import { parseCidr } from '../net/cidr.js';
import { Force, forceIssue } from './schema-force.js';

const StickySource = z
  .string()
  .regex(/^(?:(?:header|cookie|query):[^\s:]+|ip)$/, 'use header:NAME, cookie:NAME, query:NAME or ip')
  .describe('Where the sticky key comes from: header:NAME, cookie:NAME, query:NAME or ip');

const Match = z.strictObject({
  host: z
    .union([z.string(), z.array(z.string())])
    .optional()
    .describe('Host(s) to match; "*.example.com" matches subdomains; port ignored'),
  path: z
    .string()
    .regex(/^\//, 'paths start with "/"')
    .prefault('/*')
    .describe('Exact (/a/b), prefix (/api/*) or templated (/users/:id) path'),
  methods: z.array(Method).optional().describe('Methods to match (default: all)'),
  headers: z.record(z.string(), z.string()).optional().describe('Headers that must be present with exactly this value ("*" = any value)'),
});

const Route = z.strictObject({
  name: Name.describe('Route name, used in metrics, logs and x-fieldlab-route'),
  match: Match.prefault({}),
  arms: z.record(Name, z.string()).describe('Arm name → upstream name; "control" is required, every other arm is a variant'),
  split: z.record(Name, Percent).prefault({}).describe('Percent of sticky units per variant; control gets the rest'),
  sticky: z
    .array(StickySource)
    .min(1)
    .prefault(['cookie:fl_uid'])
    .describe('Ordered sticky key sources; first present wins; none present → a fl_uid cookie is issued'),
  seed: z.string().optional().describe('Hash seed (default: the route name); change it to re-randomize'),
  force: Force.optional(),
  exposeArm: z.boolean().prefault(false).describe("Send x-fieldlab-arm to the client too (also on Fieldlab's own 502/503/504)"),
  upgrades: z
    .array(z.string().regex(/^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/, 'an upgrade protocol name is a token, e.g. websocket'))
    .prefault(['websocket'])
    .describe('Protocols this route may switch to with Upgrade (RFC 9110 §7.8); others get 400 FL_UPGRADE_REFUSED. [] allows none'),
  shadow: z.array(Shadow).prefault([]).describe('Dark-launch targets: mirrored copies whose answers are compared, then discarded'),
  rollout: Rollout.optional(),
  guardrails: Guardrails.optional(),
  experiment: Experiment.optional(),
});

const Limits = z
  .strictObject({
    maxHeaderSize: Size.prefault('16KiB').describe('Largest request head accepted (431 above)'),
    maxHeaders: z.number().int().positive().prefault(100).describe('Most request headers accepted (431 above)'),
    headersTimeout: Duration.prefault('10s').describe('Time a client has to send the request head (slowloris)'),
    requestTimeout: Duration.prefault('5m').describe('Time a client has to send the whole request'),
    keepAliveTimeout: Duration.prefault('5s').describe('Idle time before a client keep-alive connection is closed'),
    bodyBuffer: Size.prefault('64KiB').describe(
      'Request bodies up to this size are read whole before the upstream exchange starts (slow uploads hold no upstream connection); 0 = stream all',
    ),
    minUploadRate: Size.prefault('1KiB').describe(
      'Least upload rate per second in each uploadRateGrace window (408 FL_UPLOAD_TOO_SLOW); 0 = off',
    ),
    uploadRateGrace: Duration.prefault('5s').describe('Window over which minUploadRate is measured (a burst banks no later stall)'),
    responseBuffer: Size.prefault('256KiB').describe('Response bytes held for a slow reader before the upstream is paused'),
    writeStallTimeout: Duration.prefault('10s').describe(
      'A client that reads none of its response for this long is cut (FL_CLIENT_STALLED)',
    ),
  })
  .describe('Client-side protections');

const Paths = z
  .strictObject({
    normalize: z
      .boolean()
      .prefault(true)
      .describe('Normalize request paths before matching and forwarding: decode unreserved escapes, merge slashes, resolve dot-segments'),
    escapedSlashes: z
      .enum(['reject', 'keep'])
      .prefault('reject')
      .describe('%2F, %5C and raw backslashes in a path: reject with 400, or keep them encoded (not treated as separators)'),
  })
  .describe('Request path normalization (RFC 3986 §5.2.4), so a route on /public/* cannot reach /admin');

// '' means "no token" (what `${FIELDLAB_ADMIN_TOKEN:-}` gives when unset); blanks are a mistake.
const Token = z
  .string()
  .refine((t) => t === '' || t.trim() !== '', 'token is only whitespace; set a real token or leave it empty')
  .refine((t) => t.trim() === t, 'token has leading or trailing whitespace (a newline from a secret file?)');

/** The whole file. */
export const ConfigSchema = z
  .strictObject({
    listen: Listen.prefault('0.0.0.0:8080'),
    store: Store.prefault({}),
    fleet: Fleet.prefault({}),
    workers: Workers.prefault(1),
    tracing: Tracing.optional(),
    admin: z
      .strictObject({
        listen: Listen.prefault('127.0.0.1:9901'),
        token: Token.optional().describe('Bearer token for reads and writes (both of readToken and writeToken)'),
        readToken: Token.optional().describe('Bearer token (or login-form cookie) for reads: metrics, dashboard, reports, status'),
        writeToken: Token.optional().describe('Bearer token for writes: manual actions and reload; also allows reads'),
      })
      .prefault({})
      .describe('Admin API; beyond loopback it needs admin.token or admin.writeToken'),
    metrics: z
      .strictObject({
        listen: Listen.describe('Where GET /metrics, /healthz and /readyz are served without a token (nothing else)'),
      })
      .optional()
      .describe('A read-only scrape and probe listener apart from the admin API'),
    trustedProxies: z
      .array(z.string().refine((v) => parseCidr(v) !== undefined, { message: 'invalid CIDR (use e.g. 10.0.0.0/8)' }))
      .prefault([])
      .describe('CIDRs of proxies whose X-Forwarded-For is believed'),
    limits: Limits.prefault({}),
    paths: Paths.prefault({}),
    drainDelay: Duration.prefault('0s').describe(
      'On SIGTERM, how long /readyz answers 503 while new connections are still accepted, before the drain starts',
    ),
    drainTimeout: Duration.prefault('30s').describe('On SIGTERM, how long in-flight requests may take'),
    log: z
      .strictObject({
        level: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).prefault('info'),
        access: z.boolean().prefault(true).describe('One access-log line per request'),
      })
      .prefault({}),
    defaults: z
      .strictObject({
        timeouts: Timeouts.prefault({}),
        connections: z.number().int().positive().prefault(128).describe('Max connections per upstream endpoint'),
        queue: z
          .number()
          .int()
          .nonnegative()
          .prefault(1024)
          .describe('Requests that may wait for a busy endpoint (503 FL_UPSTREAM_QUEUE_FULL beyond)'),
      })
      .prefault({})
      .describe('Defaults for every upstream'),
    upstreams: z.record(Name, Upstream).describe('Named upstreams'),
    routes: z.array(Route).prefault([]).describe('Routes, first match wins'),
  })
  .superRefine(checkReferences);

type Shape = z.output<typeof ConfigSchema>;

/** Cross-references the per-field schema can't see: arms → upstreams, split → arms, lanes. */
function checkReferences(cfg: Shape, ctx: z.RefinementCtx): void {
  if (!isLoopback(cfg.admin.listen.host) && !cfg.admin.token && !cfg.admin.writeToken) {
    ctx.addIssue({
      code: 'custom',
      path: ['admin', 'listen'],
      message: 'admin listens beyond loopback, so admin.token (or admin.writeToken and admin.readToken) is required',
    });
  }
  if (cfg.admin.readToken && !cfg.admin.writeToken && !cfg.admin.token) {
    ctx.addIssue({
      code: 'custom',
      path: ['admin', 'readToken'],
      message: 'admin.readToken needs admin.writeToken (or admin.token) too, or nothing could act or reload',
    });
  }
  if (cfg.metrics && sameAddress(cfg.metrics.listen, cfg.admin.listen)) {
    ctx.addIssue({ code: 'custom', path: ['metrics', 'listen'], message: 'metrics.listen must differ from admin.listen' });
  }
  if (cfg.metrics && sameAddress(cfg.metrics.listen, cfg.listen)) {
    ctx.addIssue({ code: 'custom', path: ['metrics', 'listen'], message: 'metrics.listen must differ from listen' });
  }
  checkExperimentRoutes(cfg.routes, ctx);
  const seen = new Set<string>();
  cfg.routes.forEach((route, i) => {
    const at = (...p: (string | number)[]) => ['routes', i, ...p];
    if (seen.has(route.name)) ctx.addIssue({ code: 'custom', path: at('name'), message: `duplicate route name "${route.name}"` });
    seen.add(route.name);
    const unlocked = forceIssue(route.force, cfg.listen.host);
    if (unlocked) ctx.addIssue({ code: 'custom', path: at('force'), message: unlocked });
    if (!Object.hasOwn(route.arms, 'control')) ctx.addIssue({ code: 'custom', path: at('arms'), message: 'arms must include "control"' });
    for (const [arm, upstream] of Object.entries(route.arms)) {
      if (!Object.hasOwn(cfg.upstreams, upstream)) {
        ctx.addIssue({
          code: 'custom',
          path: at('arms', arm),
          message: `unknown upstream "${upstream}"${suggest(upstream, Object.keys(cfg.upstreams))}`,
        });
      }
    }
    route.shadow.forEach((sh, j) => {
      const upstreams = Object.keys(cfg.upstreams);
      if (!Object.hasOwn(cfg.upstreams, sh.to)) {
        ctx.addIssue({ code: 'custom', path: at('shadow', j, 'to'), message: `unknown upstream "${sh.to}"${suggest(sh.to, upstreams)}` });
      }
      if (sh.compare.noiseFrom !== undefined && !Object.hasOwn(cfg.upstreams, sh.compare.noiseFrom)) {
        ctx.addIssue({
          code: 'custom',
          path: at('shadow', j, 'compare', 'noiseFrom'),
          message: `unknown upstream "${sh.compare.noiseFrom}"${suggest(sh.compare.noiseFrom, upstreams)}`,
        });
      }
      if (sh.arm !== '*' && !Object.hasOwn(route.arms, sh.arm)) {
        ctx.addIssue({
          code: 'custom',
          path: at('shadow', j, 'arm'),
          message: `unknown arm "${sh.arm}" (use an arm of this route or "*")${suggest(sh.arm, Object.keys(route.arms))}`,
        });
      }
    });
    const variants = Object.keys(route.arms).filter((a) => a !== 'control');
    if (route.rollout) {
      const max = 100 / Math.max(1, variants.length);
      if (variants.length === 0) ctx.addIssue({ code: 'custom', path: at('rollout'), message: 'a rollout needs a variant arm' });
      route.rollout.steps.forEach((step, k) => {
        if (step > max + 1e-9)
          ctx.addIssue({
            code: 'custom',
            path: at('rollout', 'steps', k),
            message: `${step}% exceeds the variant lane of ${+max.toFixed(2)}%`,
          });
      });
    }
    const lane = variants.length > 0 ? 100 / variants.length : 100;
    for (const [arm, pct] of Object.entries(route.split)) {
      if (arm === 'control') {
        ctx.addIssue({ code: 'custom', path: at('split', arm), message: 'control gets the rest; split lists variants only' });
      } else if (!variants.includes(arm)) {
        ctx.addIssue({ code: 'custom', path: at('split', arm), message: `unknown arm "${arm}"${suggest(arm, variants)}` });
      } else if (pct > lane + 1e-9) {
        ctx.addIssue({
          code: 'custom',
          path: at('split', arm),
          message: `${pct}% exceeds this variant's lane of ${+lane.toFixed(2)}% (${variants.length} variants share the bucket space equally so ramps never move users between variants)`,
        });
      }
    }
  });
}

/** Two listen addresses that would collide (port 0 means "any free port" and never collides). */
function sameAddress(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  return a.port !== 0 && a.port === b.port;
}

/** `, did you mean "x"?` when a close candidate exists (edit distance 1 for short words, up to 3 for long ones). */
export function suggest(word: string, candidates: readonly string[]): string {
  let best: string | undefined;
  let bestScore = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestScore) [best, bestScore] = [c, d];
  }
  const allowed = word.length <= 3 ? 1 : word.length <= 8 ? 2 : 3;
  return best !== undefined && bestScore <= allowed ? `, did you mean "${best}"?` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** The validated, defaulted config as users wrote it (before compilation). */
export type RawConfig = Shape;
export type RawRoute = Shape['routes'][number];
export type RawUpstream = Shape['upstreams'][string];
export type UpstreamTimeouts = z.output<typeof Timeouts>;
export type RawShadow = RawRoute['shadow'][number];
export type RawGuardrails = NonNullable<RawRoute['guardrails']>;
export type RawRollout = NonNullable<RawRoute['rollout']>;
export type RawTracing = NonNullable<Shape['tracing']>;
