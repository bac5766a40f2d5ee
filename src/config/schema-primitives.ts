/**
 * Shared zod building blocks of the config schema: human units, names, upstream URLs, methods.
 */
import { z } from 'zod';
import { parseDuration, parseListen, parsePercent, parseRatio, parseSize, type Parsed, type RatioBounds } from './units.js';

/** Wraps a unit parser as a zod type accepting a string or a number. */
function unit<T>(parse: (v: string | number) => Parsed<T>, description: string) {
  return z
    .union([z.string(), z.number()])
    .transform((v, ctx) => {
      const r = parse(v);
      if (r.ok) return r.value;
      ctx.addIssue({ code: 'custom', message: r.error });
      return z.NEVER;
    })
    .describe(description);
}

export const Duration = unit(parseDuration, 'A duration: 500ms, 30s, 2m, 1h (bare numbers are milliseconds)');
export const Size = unit(parseSize, 'A size: 512KiB, 1MiB, 10MB (bare numbers are bytes)');
export const Percent = unit(parsePercent, 'A percent between 0 and 100: 10, 10%, 99.9%');
export const Listen = unit(parseListen, 'host:port to listen on, e.g. 0.0.0.0:8080');

/**
 * A ratio within bounds, written as a number (0.05) or a percent (5%).
 * @example Ratio({ gt: 0, lt: 0.5 }, 'False-alarm bound').parse('1%') // 0.01
 */
export function Ratio(bounds: RatioBounds, description: string) {
  return unit((v) => parseRatio(v, bounds), `${description} (a ratio: 0.05 or 5%)`);
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/;
export const Name = z.string().regex(NAME, 'names use letters, digits, "_", "." and "-"');

export const UpstreamUrl = z
  .string()
  .transform((v, ctx) => {
    let url: URL;
    try {
      url = new URL(v);
    } catch {
      ctx.addIssue({ code: 'custom', message: `invalid upstream URL "${v}" (use http://host:port)` });
      return z.NEVER;
    }
    if (url.protocol !== 'http:' && url.protocol !== 'https:') {
      ctx.addIssue({ code: 'custom', message: `upstream URL "${v}" must use http:// or https://` });
      return z.NEVER;
    }
    // Rejected rather than used: Fieldlab adds no upstream authentication, and a password in a URL
    // ends up in logs, metrics labels and /config. The message never repeats the password.
    if (url.username || url.password) {
      const shown = `${url.protocol}//***@${url.host}`;
      ctx.addIssue({
        code: 'custom',
        message: `upstream URL "${shown}" contains credentials (userinfo@); they are not sent upstream — remove them, and set any auth header in the client or the upstream`,
      });
      return z.NEVER;
    }
    if ((url.pathname !== '/' && url.pathname !== '') || url.search) {
      ctx.addIssue({ code: 'custom', message: `upstream URL "${v}" must be an origin without a path` });
      return z.NEVER;
    }
    return url.origin;
  })
  .describe('An upstream endpoint origin, e.g. http://10.0.0.11:8080');

export const Timeouts = z
  .strictObject({
    connect: Duration.prefault('5s').describe('Time allowed to open a connection'),
    headers: Duration.prefault('30s').describe('Time allowed from sending the request to receiving response headers'),
    idle: Duration.prefault('60s').describe('Longest pause between two chunks of the response body'),
    queue: Duration.prefault('5s').describe('Longest wait for a free connection when all are busy (then 503 FL_UPSTREAM_QUEUE_TIMEOUT)'),
    keepAlive: Duration.prefault('1500ms').describe(
      "Idle time after which an upstream keep-alive connection is closed; keep it below the server's (gunicorn 2s, Node 5s)",
    ),
  })
  .describe('Upstream timeouts; connect/headers/idle become a 504 (FL_UPSTREAM_TIMEOUT), queue a 503');

const UpstreamObject = z.strictObject({
  endpoints: z.array(UpstreamUrl).describe('Endpoints, balanced round-robin'),
  timeouts: Timeouts.optional(),
  connections: z.number().int().positive().optional().describe('Max connections per endpoint'),
  queue: z
    .number()
    .int()
    .nonnegative()
    .optional()
    .describe('Requests that may wait for a busy endpoint (503 FL_UPSTREAM_QUEUE_FULL beyond)'),
  host: z.string().optional().describe("Rewrite the Host header sent to this upstream (default: keep the client's)"),
});

/** `name: url`, `name: [url, url]` and `name: { endpoints: … }` all normalize to the object form. */
export const Upstream = z.preprocess((v) => {
  if (typeof v === 'string') return { endpoints: [v] };
  if (Array.isArray(v)) return { endpoints: v };
  if (v && typeof v === 'object' && typeof (v as { endpoints?: unknown }).endpoints === 'string') {
    return { ...v, endpoints: [(v as { endpoints: string }).endpoints] };
  }
  return v;
}, UpstreamObject);

export const METHODS = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT'] as const;
/** An HTTP method; lower-case is accepted and upper-cased (json-schema.ts widens the enum to match). */
export const Method = z.preprocess((v) => (typeof v === 'string' ? v.toUpperCase() : v), z.enum(METHODS));
