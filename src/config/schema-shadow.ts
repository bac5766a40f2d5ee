/**
 * The `shadow:` part of a route: where mirrored traffic goes, which requests qualify, and how the
 * shadow's answers are compared with what users got. Safe by default: only GET/HEAD/OPTIONS are
 * mirrored unless a route lists writes, bodies are capped, the shadow's Host is left alone.
 */
import { z } from 'zod';
import { STORE_URL_HELP, parseStoreUrl } from '../storage/open.js';
import { Duration, Method, Percent, Ratio, Size } from './schema-primitives.js';
import { Recordings } from './schema-record.js';

const IgnoreRule = z
  .string()
  .regex(/^(?:header:[^\s]+|body:\$[^\s]*)$/, 'use header:NAME or body:$.json.path (with * for any key or index)')
  .describe('Ignore a header (header:date) or a JSON body path (body:$.meta.ts, body:$.items[*].id)');

const Compare = z
  .strictObject({
    ignore: z.array(IgnoreRule).prefault([]).describe('Fields never compared (on top of the default header ignores)'),
    tolerance: Ratio({ min: 0 }, 'Relative tolerance for numbers: 0.001 (0.1%) treats 1000 and 1000.9 as equal').prefault(0),
    noiseFrom: z.string().optional().describe('Upstream running a second copy of control; primary-vs-copy differences are noise'),
    maxBody: Size.prefault('256KiB').describe('Most response-body bytes captured and compared per side'),
    redact: z
      .array(IgnoreRule)
      .prefault(['header:authorization', 'header:cookie', 'header:set-cookie'])
      .describe('Fields replaced by [redacted] in stored examples'),
  })
  .describe('How shadow responses are compared with the primary');

/** One mirror target. */
export const Shadow = z.strictObject({
  to: z.string().describe('Upstream that receives the mirrored copy; its responses are discarded'),
  percent: Percent.prefault(100).describe('Share of eligible requests mirrored, decided by hash of the request id'),
  methods: z
    .array(Method)
    .prefault(['GET', 'HEAD', 'OPTIONS'])
    .describe('Methods mirrored; writes (POST, PUT, …) only when listed explicitly'),
  arm: z.string().prefault('control').describe('Which arm\'s traffic to mirror: an arm name or "*" for all'),
  maxBody: Size.prefault('1MiB').describe('Requests with larger bodies are not mirrored (counted as skipped)'),
  timeout: Duration.prefault('5s').describe('Whole-exchange timeout for the shadow'),
  concurrency: z.number().int().positive().prefault(64).describe('Shadow requests in flight at once'),
  queue: z.number().int().min(0).prefault(256).describe('Shadow requests waiting; beyond it they are dropped and counted'),
  maxBytesPerSecond: Size.prefault('32MiB').describe(
    'Shadow response bytes read per second at most (token bucket); over it copies are skipped and counted (0 = unlimited)',
  ),
  host: z.string().optional().describe("Host header for the shadow (default: the client's, unchanged)"),
  headers: z
    .strictObject({
      set: z.record(z.string(), z.string()).prefault({}),
      remove: z.array(z.string()).prefault([]),
    })
    .optional()
    .describe('Header rewrites for the shadow copy'),
  compare: Compare.prefault({}),
});

/**
 * Where reports, guardrail state, decisions and rollups are stored. The URL is checked by the one
 * store URL parser (storage/open.ts), so the validator, the proxy and the CLI agree on what is valid.
 */
export const Store = z
  .preprocess(
    (v) => (typeof v === 'string' ? { url: v } : v),
    z.strictObject({
      url: z
        .string()
        // The pattern is for editors (JSON Schema); the parser has the last word.
        .regex(/^(?:sqlite:.+|postgres(?:ql)?:\/\/.+)$/, STORE_URL_HELP)
        .superRefine((url, ctx) => {
          const parsed = parseStoreUrl(url);
          if (!parsed.ok) ctx.addIssue({ code: 'custom', message: parsed.error });
        })
        .prefault('sqlite:./data/fieldlab.db')
        .describe('sqlite:PATH (relative to the working directory), sqlite::memory:, or postgres://USER@HOST:PORT/DB'),
      retention: Duration.prefault('7d').describe('Shadow-diff data, decisions and rollups older than this are deleted'),
      pool: z.number().int().positive().max(100).prefault(10).describe('PostgreSQL: connections in the pool'),
      queue: z
        .number()
        .int()
        .positive()
        .max(100_000)
        .prefault(1024)
        .describe('Store requests waiting for the store worker; beyond it they are dropped and counted'),
      maxEndpoints: z
        .number()
        .int()
        .positive()
        .max(100_000)
        .prefault(200)
        .describe('Distinct endpoints per route and shadow per hour in shadow-diff reports; the rest are counted as "(other)"'),
      maxFields: z
        .number()
        .int()
        .positive()
        .max(100_000)
        .prefault(200)
        .describe('Distinct fields per endpoint per hour in shadow-diff reports; the rest are counted as "(other)"'),
      recordings: Recordings.prefault({}),
    }),
  )
  .describe('sqlite:PATH, or { url, retention, pool, queue, maxEndpoints, maxFields }');
