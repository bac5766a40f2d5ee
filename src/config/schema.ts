/**
 * The config contract as one zod definition: the YAML users write, its defaults, its units and its
 * cross-references. The JSON Schema shipped for editors is generated from this same definition.
 */
import { Fleet } from './schema-fleet.js';
import { Workers } from './schema-workers.js';
import { z } from 'zod';
import { Duration, Listen, Method, Name, Percent, Size, Timeouts, Upstream } from './schema-primitives.js';
import { Shadow, Store } from './schema-shadow.js';
import { Guardrails, Rollout, Tracing } from './schema-guardrails.js';
import { TraceUrl } from './schema-trace-link.js';
import { Experiment } from './schema-experiment.js';
import { Layers } from './schema-targeting.js';
import { parseCidr } from '../net/cidr.js';
import { Force } from './schema-force.js';
import { Traces } from './schema-traces.js';
import { RouteRecord } from './schema-record.js';
import { RouteFault } from './schema-fault.js';
import { checkReferences } from './schema-references.js';

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
  record: RouteRecord.optional(),
  fault: RouteFault.optional(),
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
    traces: Traces.optional(),
    admin: z
      .strictObject({
        listen: Listen.prefault('127.0.0.1:9901'),
        token: Token.optional().describe('Bearer token for reads and writes (both of readToken and writeToken)'),
        readToken: Token.optional().describe('Bearer token (or login-form cookie) for reads: metrics, dashboard, reports, status'),
        writeToken: Token.optional().describe('Bearer token for writes: manual actions and reload; also allows reads'),
        traceUrl: TraceUrl.optional(),
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
    layers: Layers,
    routes: z.array(Route).prefault([]).describe('Routes, first match wins'),
  })
  // `when`: cross-references run even when a field failed, so every problem is reported in one pass.
  .superRefine(checkReferences, { when: (payload) => typeof payload.value === 'object' && payload.value !== null });

type Shape = z.output<typeof ConfigSchema>;

export { suggest } from './suggest.js';

/** The validated, defaulted config as users wrote it (before compilation). */
export type RawConfig = Shape;
export type RawRoute = Shape['routes'][number];
export type RawUpstream = Shape['upstreams'][string];
export type UpstreamTimeouts = z.output<typeof Timeouts>;
export type RawShadow = RawRoute['shadow'][number];
export type RawGuardrails = NonNullable<RawRoute['guardrails']>;
export type RawRollout = NonNullable<RawRoute['rollout']>;
export type RawTracing = NonNullable<Shape['tracing']>;
export type RawLayer = Shape['layers'][number];
