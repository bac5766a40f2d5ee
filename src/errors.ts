/**
 * The one error registry. Every failure Fieldlab reports to a client, an operator or a log line has a
 * stable code defined here; README's "Error codes" table is checked against this list by a test.
 */

/** A registered error: stable code, HTTP status for local replies, and a human message. */
export interface FieldlabErrorDef {
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

const registry = new Map<string, FieldlabErrorDef>();

/**
 * Registers an error code. Codes are unique; defining one twice is a programming error caught at import.
 * @example const FL_X = defineError('FL_X', 502, 'upstream said no');
 */
export function defineError(code: string, status: number, message: string): FieldlabErrorDef {
  if (registry.has(code)) throw new Error(`error code ${code} defined twice`);
  const def = Object.freeze({ code, status, message });
  registry.set(code, def);
  return def;
}

/**
 * An error thrown off the data path (startup, CLI) that carries its registry code, so whoever
 * prints it can name the code. The request path never throws these: it sends local replies.
 * @example throw new FieldlabError(FL_LISTEN_FAILED, 'could not listen on 0.0.0.0:8080: EADDRINUSE')
 */
export class FieldlabError extends Error {
  readonly code: string;
  constructor(
    readonly def: FieldlabErrorDef,
    message: string = def.message,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = def.code;
  }
}

/**
 * True when `code` is a registered code (e.g. the code an abort reason carries).
 * @example isRegisteredCode(FL_CLIENT_ABORTED.code) // true; isRegisteredCode('ECONNRESET') // false
 */
export function isRegisteredCode(code: unknown): code is string {
  return typeof code === 'string' && registry.has(code);
}

/** Every registered error, in definition order (used by docs and the README sync test). */
export function allErrors(): readonly FieldlabErrorDef[] {
  return [...registry.values()];
}

// --- ingress: what the client sent ---
export const FL_NO_ROUTE = defineError('FL_NO_ROUTE', 404, 'no route matches this request');
export const FL_BAD_REQUEST = defineError('FL_BAD_REQUEST', 400, 'malformed HTTP request');
export const FL_AMBIGUOUS_FRAMING = defineError(
  'FL_AMBIGUOUS_FRAMING',
  400,
  'request has ambiguous framing (Content-Length with Transfer-Encoding, or conflicting Content-Length)',
);
export const FL_BAD_HOST = defineError('FL_BAD_HOST', 400, 'Host header missing (HTTP/1.1), repeated or invalid (RFC 9112 §3.2)');
export const FL_BAD_PATH = defineError(
  'FL_BAD_PATH',
  400,
  'request path has an invalid percent-encoding, an encoded NUL, or an encoded slash or backslash (see `paths`)',
);
export const FL_HTTP_VERSION = defineError('FL_HTTP_VERSION', 505, 'only HTTP/1.0 and HTTP/1.1 request lines are accepted');
export const FL_CONNECT_UNSUPPORTED = defineError('FL_CONNECT_UNSUPPORTED', 405, 'CONNECT is not supported: Fieldlab is a reverse proxy');
export const FL_EXPECTATION_FAILED = defineError('FL_EXPECTATION_FAILED', 417, 'unsupported Expect value (only 100-continue is)');
export const FL_HEADERS_TOO_LARGE = defineError('FL_HEADERS_TOO_LARGE', 431, 'request headers too large or too many');
export const FL_REQUEST_TIMEOUT = defineError('FL_REQUEST_TIMEOUT', 408, 'client did not send the request in time');
export const FL_CLIENT_ABORTED = defineError(
  'FL_CLIENT_ABORTED',
  499,
  'client closed the connection before the response ended (logged, never sent)',
);
export const FL_UPLOAD_TOO_SLOW = defineError(
  'FL_UPLOAD_TOO_SLOW',
  408,
  'client sent the request body slower than limits.minUploadRate (connection closed)',
);
export const FL_CLIENT_STALLED = defineError(
  'FL_CLIENT_STALLED',
  499,
  'client stopped reading the response for limits.writeStallTimeout, or too many did at once (connection cut; logged, never sent)',
);
export const FL_UPGRADE_REFUSED = defineError(
  'FL_UPGRADE_REFUSED',
  400,
  'protocol upgrade not allowed on this route (only websocket unless the route lists more under `upgrades`)',
);

// --- forward: what the upstream did ---
export const FL_UPSTREAM_CONNECT = defineError('FL_UPSTREAM_CONNECT', 502, 'could not connect to upstream');
export const FL_UPSTREAM_RESET = defineError('FL_UPSTREAM_RESET', 502, 'upstream closed the connection');
export const FL_UPSTREAM_PROTOCOL = defineError('FL_UPSTREAM_PROTOCOL', 502, 'upstream sent an invalid response');
export const FL_UPSTREAM_CONNECT_TIMEOUT = defineError('FL_UPSTREAM_CONNECT_TIMEOUT', 504, 'timed out connecting to upstream');
export const FL_UPSTREAM_TIMEOUT = defineError('FL_UPSTREAM_TIMEOUT', 504, 'upstream did not answer in time');
export const FL_NO_ENDPOINT = defineError('FL_NO_ENDPOINT', 503, 'upstream has no available endpoint');
export const FL_UPSTREAM_QUEUE_FULL = defineError(
  'FL_UPSTREAM_QUEUE_FULL',
  503,
  'every connection to the upstream endpoint is busy and its wait queue is full',
);
export const FL_UPSTREAM_QUEUE_TIMEOUT = defineError(
  'FL_UPSTREAM_QUEUE_TIMEOUT',
  503,
  'no connection to the upstream endpoint became free within its queue timeout',
);
export const FL_LOCAL_RESOURCES = defineError(
  'FL_LOCAL_RESOURCES',
  503,
  'the proxy ran out of file descriptors or sockets opening an upstream connection (EMFILE/ENFILE)',
);
export const FL_INTERNAL = defineError('FL_INTERNAL', 500, 'internal proxy error');
export const FL_FAULT_INJECTED = defineError('FL_FAULT_INJECTED', 503, "fault injected by the route's fault: config (not a real failure)");
export const FL_NO_RESPONSE = defineError(
  'FL_NO_RESPONSE',
  502,
  'a captured side ended without a status or an error code (shown in shadow diffs, never sent)',
);

// --- admin ---
export const FL_ADMIN_UNAUTHORIZED = defineError('FL_ADMIN_UNAUTHORIZED', 401, 'admin token missing or wrong');
export const FL_ADMIN_FORBIDDEN = defineError(
  'FL_ADMIN_FORBIDDEN',
  403,
  'this credential may only read (actions and reload need admin.writeToken or admin.token as a bearer token)',
);
export const FL_ADMIN_CROSS_SITE = defineError(
  'FL_ADMIN_CROSS_SITE',
  403,
  'refused: this looks like a browser request from another site (Origin / Sec-Fetch-Site), or it names a Host that is not this admin listener while no token is configured',
);
export const FL_ADMIN_NOT_FOUND = defineError('FL_ADMIN_NOT_FOUND', 404, 'no such admin endpoint');
export const FL_ROUTE_NOT_FOUND = defineError('FL_ROUTE_NOT_FOUND', 404, 'no route with that name in the running config');
export const FL_NO_GUARDRAILS = defineError(
  'FL_NO_GUARDRAILS',
  409,
  'route has no guardrails or rollout (add `guardrails:` to control it)',
);
export const FL_NO_EXPERIMENT = defineError('FL_NO_EXPERIMENT', 404, 'route has no experiment (add `experiment:` to measure goals)');
export const FL_ADMIN_BAD_REQUEST = defineError('FL_ADMIN_BAD_REQUEST', 400, 'invalid admin request (unknown action, arm or filter)');
export const FL_NO_CHANGE = defineError('FL_NO_CHANGE', 409, 'the manual action would change nothing (already in that state)');
export const FL_FORCE_REQUIRED = defineError(
  'FL_FORCE_REQUIRED',
  409,
  "the variant's evidence breaches right now; promote or resume it only with force (--force)",
);
export const FL_DASHBOARD_BUSY = defineError(
  'FL_DASHBOARD_BUSY',
  503,
  'the dashboard already streams to as many browsers as it serves at once; close a tab or retry later',
);

// --- storage (reports, guardrail state; never on the request path) ---
export const FL_STORE_BUSY = defineError('FL_STORE_BUSY', 503, "the store's request queue is full: request dropped and counted");
export const FL_STORE_UNAVAILABLE = defineError('FL_STORE_UNAVAILABLE', 503, 'the store failed or is closed');
export const FL_STORE_UNREACHABLE = defineError(
  'FL_STORE_UNREACHABLE',
  503,
  'starting: the PostgreSQL store cannot be reached yet; not ready, no traffic served, retrying with backoff',
);

// --- startup: why the process did not start (printed by the CLI, never sent to a client) ---
export const FL_STORE_OPEN = defineError(
  'FL_STORE_OPEN',
  500,
  'cannot open the store named by store.url (the message names the path; give it a writable volume)',
);
export const FL_CONFIG_INVALID = defineError('FL_CONFIG_INVALID', 422, 'the config file is invalid (each problem is listed)');
export const FL_LISTEN_FAILED = defineError('FL_LISTEN_FAILED', 500, 'could not listen on a configured address');
export const FL_STARTUP_FAILED = defineError(
  'FL_STARTUP_FAILED',
  500,
  'could not start for a reason without a code of its own (the message says which)',
);

// --- workers (one process per core; the primary holds the store) ---
export const FL_WORKER_IPC = defineError(
  'FL_WORKER_IPC',
  503,
  "a worker's store call did not reach the primary (its IPC queue was full, the primary did not answer in time, or it is gone): dropped and counted",
);

// --- fleet ---
export const FL_FLEET_UNAVAILABLE = defineError(
  'FL_FLEET_UNAVAILABLE',
  503,
  'the fleet database is unreachable; this replica serves its last weights and decides rollbacks alone',
);

// --- traces receiver (`traces.listen`: the services' own spans, never the proxy port) ---
export const FL_OTLP_TOO_LARGE = defineError(
  'FL_OTLP_TOO_LARGE',
  413,
  'OTLP request body (or its decompressed size) above traces.maxBody: batch refused, nothing kept or forwarded',
);
export const FL_OTLP_MALFORMED = defineError(
  'FL_OTLP_MALFORMED',
  400,
  'OTLP request body is not a valid ExportTraceServiceRequest (protobuf or JSON): batch refused',
);
export const FL_OTLP_UNSUPPORTED = defineError(
  'FL_OTLP_UNSUPPORTED',
  415,
  'OTLP request with a Content-Type other than application/x-protobuf or application/json, or a Content-Encoding other than gzip',
);
export const FL_OTLP_BUSY = defineError(
  'FL_OTLP_BUSY',
  503,
  'the traces receiver is decoding as many batches as it queues: batch refused, retry later (OTLP exporters do)',
);
export const FL_OTLP_NOT_FOUND = defineError('FL_OTLP_NOT_FOUND', 404, 'the traces receiver only answers POST /v1/traces');
