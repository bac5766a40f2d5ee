/**
 * Header rewriting between client and upstream. Hop-by-hop fields (RFC 9110 §7.6.1: Connection and
 * every field it names, plus Proxy-Connection, Keep-Alive, TE, Transfer-Encoding, Upgrade) belong to
 * one connection and are never forwarded. Works on Node's flat `rawHeaders` arrays to keep the
 * client's casing and duplicates and to avoid building objects per request.
 */

const HOP_BY_HOP = new Set(['connection', 'proxy-connection', 'keep-alive', 'te', 'transfer-encoding', 'upgrade']);

/**
 * Request fields we drop besides hop-by-hop: `expect` (Node's server already answered
 * `100-continue`; undici refuses to send it), `host` (re-added explicitly), and the headers
 * Fieldlab itself sets, so a client can't spoof its arm or route.
 */
const REQUEST_DROP = new Set([
  'expect',
  'host',
  'via',
  'x-forwarded-for',
  'x-forwarded-proto',
  'x-forwarded-host',
  'x-fieldlab-route',
  'x-fieldlab-arm',
  'x-fieldlab-shadow',
  'x-request-id',
  'http2-settings',
]);

/**
 * Client header names as sent → lower-cased name, or '' when the name is always dropped. Clients send
 * the same few dozen names over and over, so one lookup replaces a toLowerCase and two set lookups per
 * header. Bounded: past MAX_NAMES new names are just computed (never an outsider-fillable cache).
 */
const nameVerdicts = new Map<string, string>();
const MAX_NAMES = 1024;

function verdictOf(name: string): string {
  const known = nameVerdicts.get(name);
  if (known !== undefined) return known;
  const lower = name.toLowerCase();
  const verdict = HOP_BY_HOP.has(lower) || REQUEST_DROP.has(lower) ? '' : lower;
  if (nameVerdicts.size < MAX_NAMES) nameVerdicts.set(name, verdict);
  return verdict;
}

/** What the proxy adds to the upstream request. */
export interface ForwardedInfo {
  readonly host: string | undefined;
  readonly requestId: string;
  readonly route: string;
  readonly arm: string;
  /** X-Forwarded-For value to send (already includes the peer). */
  readonly forwardedFor: string;
  readonly proto: string;
  readonly forwardedHost: string | undefined;
  /** Client's Via, if any; ours is appended (RFC 9110 §7.6.3). */
  readonly via: string | undefined;
  /** Send Upgrade/Connection for protocol switches (websocket) — undici adds them itself. */
}

/**
 * Names listed in Connection (RFC 9110 §7.6.1) beyond the hop-by-hop ones (dropped anyway),
 * lower-cased; undefined when none. A client sends the same value every time (`keep-alive`), so each
 * value is parsed once (namedIn); the memo's set is shared, so several Connection fields get a new one.
 */
function connectionNamed(raw: readonly string[]): ReadonlySet<string> | undefined {
  let named: ReadonlySet<string> | undefined;
  let merged = false;
  for (let i = 0; i < raw.length; i += 2) {
    if (raw[i]!.length === 10 && raw[i]!.toLowerCase() === 'connection') {
      const more = namedIn(raw[i + 1]!);
      if (!more) continue;
      if (!named) named = more;
      else {
        const union = merged ? (named as Set<string>) : new Set(named);
        for (const n of more) union.add(n);
        named = union;
        merged = true;
      }
    }
  }
  return named;
}

/**
 * Builds the upstream request header list from the client's raw headers.
 * @example upstreamRequestHeaders(req.rawHeaders, info) // ['accept', '*\/*', 'host', 'shop', ...]
 */
export function upstreamRequestHeaders(raw: readonly string[], info: ForwardedInfo): string[] {
  const named = connectionNamed(raw);
  const out: string[] = [];
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!;
    const lower = verdictOf(name);
    if (lower === '' || named?.has(lower)) continue;
    out.push(name, raw[i + 1]!);
  }
  if (info.host) out.push('host', info.host);
  out.push(
    'x-forwarded-for',
    info.forwardedFor,
    'x-forwarded-proto',
    info.proto,
    'via',
    info.via ? `${info.via}, 1.1 fieldlab` : '1.1 fieldlab',
    'x-request-id',
    info.requestId,
    'x-fieldlab-route',
    info.route,
    'x-fieldlab-arm',
    info.arm,
  );
  if (info.forwardedHost) out.push('x-forwarded-host', info.forwardedHost);
  return out;
}

/**
 * Filters upstream response headers (undici's parsed object) into what the client may see.
 * @example clientResponseHeaders({ connection: 'close', 'content-type': 'text/plain' }) // { 'content-type': 'text/plain' }
 */
export function clientResponseHeaders(headers: Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const conn = headers.connection;
  const named = conn ? namedIn(String(conn)) : undefined;
  const out: Record<string, string | string[]> = {};
  for (const name in headers) {
    const value = headers[name];
    if (value === undefined || HOP_BY_HOP.has(name) || named?.has(name)) continue;
    out[name] = value;
  }
  return out;
}

/** The last few Connection values seen → the extra names they list (undefined: none beyond hop-by-hop). */
const connectionMemo = new Map<string, Set<string> | undefined>();

/**
 * Names a response's Connection lists, lower-cased. An upstream sends the same value on every response
 * (`keep-alive`), so it is parsed once; a value naming only hop-by-hop fields names nothing extra.
 */
function namedIn(conn: string): Set<string> | undefined {
  if (connectionMemo.has(conn)) return connectionMemo.get(conn);
  const names = conn
    .toLowerCase()
    .split(',')
    .map((t) => t.trim())
    .filter((t) => t !== '' && !HOP_BY_HOP.has(t));
  const named = names.length > 0 ? new Set(names) : undefined;
  if (connectionMemo.size < 64) connectionMemo.set(conn, named);
  return named;
}

/**
 * Replaces (or appends) one header in a flat `[name, value, …]` list; `name` is lower-case.
 * @example setHeader(headers, 'traceparent', span.traceparent)
 */
export function setHeader(headers: string[], name: string, value: string): void {
  for (let i = 0; i < headers.length; i += 2) {
    if (headers[i]!.toLowerCase() === name) {
      headers[i + 1] = value;
      return;
    }
  }
  headers.push(name, value);
}
