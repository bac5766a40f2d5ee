/**
 * The `record:` part of a route (record and replay, issue 14): which requests are kept with the
 * primary's answer for `fieldlab replay`, how much, for how long, and what is redacted before
 * anything is stored. Sampling is sticky by unit by default, so whole user sessions are kept and a
 * segment of units can be rebuilt; the caps and the byte budget bound what recording can cost.
 */
import { z } from 'zod';
import { Duration, Method, Percent, Ratio, Size } from './schema-primitives.js';

const Rule = z.string().regex(/^(?:header:[^\s]+|body:\$[^\s]*)$/, 'use header:NAME or body:$.json.path (with * for any key or index)');

/** `record:` on a route. */
export const RouteRecord = z
  .strictObject({
    percent: Percent.prefault(1).describe('Share of units (or requests, with by: request) recorded, decided by hash'),
    by: z
      .enum(['unit', 'request'])
      .prefault('unit')
      .describe("unit: the route's sticky key decides, so a unit's every request is kept; request: the request id decides"),
    methods: z.array(Method).optional().describe('Methods recorded (default: all; writes too — replay never touches users)'),
    maxBody: Size.refine((v) => v <= 16 * 2 ** 20, 'record.maxBody is at most 16MiB (captures in flight share 64 MiB)')
      .prefault('64KiB')
      .describe(
        'Request and response body bytes kept per sample; a larger request body is not recorded (counted), a larger response is kept truncated',
      ),
    maxSamples: z.number().int().positive().prefault(10_000).describe('Samples stored for this route at most; beyond, dropped and counted'),
    maxBytes: Size.prefault('64MiB').describe('Bytes stored for this route at most; beyond, dropped and counted'),
    maxBytesPerSecond: Size.prefault('4MiB').describe('Bytes captured per second at most (token bucket); over it, skipped and counted'),
    retention: Duration.prefault('24h').describe('Samples older than this are deleted (room for new ones)'),
    redact: z
      .array(Rule)
      .prefault(['header:authorization', 'header:cookie', 'header:set-cookie'])
      .describe(
        'Replaced before storing (headers in requests and responses, JSON paths in both bodies); secret-looking header names and query values always are',
      ),
    compare: z
      .strictObject({
        ignore: z.array(Rule).prefault([]).describe("Fields replay never compares (default: those of the route's first shadow)"),
        tolerance: Ratio({ min: 0 }, 'Relative tolerance for numbers in replay comparisons').optional(),
      })
      .optional()
      .describe("How fieldlab replay compares (default: the route's first shadow's compare rules)"),
  })
  .describe('Record sampled requests with their primary responses into the store, for fieldlab replay');

/** Total caps over every route's recordings (`store.recordings`). */
export const Recordings = z
  .strictObject({
    maxSamples: z.number().int().positive().prefault(100_000).describe('Recorded samples in the store at most, all routes together'),
    maxBytes: Size.prefault('512MiB').describe('Recorded bytes in the store at most, all routes together'),
  })
  .describe('Caps on recorded requests over all routes (record:)');

/** The validated `record:`. */
export type RawRecord = z.output<typeof RouteRecord>;
