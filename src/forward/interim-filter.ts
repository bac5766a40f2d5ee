/**
 * Drops unsolicited `100 Continue` heads from upstream connections before undici's parser sees them.
 * RFC 9110 §15.2 says a client MUST parse 1xx responses it did not expect, but undici 7 destroys the
 * socket on a 100 ("bad response"), turning a valid answer into a 502. We never send `Expect` upstream
 * (headers.ts drops it; the client's own 100 is answered by Node), so a 100 carries nothing to relay.
 *
 * The trick: the connector wraps each socket's `push` (where net.Socket hands received bytes to its
 * readable side) and `write`. A response head can start only where a request was just written (undici
 * pipelines one request per connection) or after an interim head, so only there are the first bytes
 * inspected; everywhere else the cost is one boolean test per chunk. Dropped 100s also stop refreshing
 * undici's headers timer, so a flood of them ends as a 504 at `timeouts.headers`.
 *
 * The same `write` hook tells retry.ts whether a request went out on a reused connection: undici calls
 * the handler's onRequestStart and then writes the request head in one synchronous step, so the head
 * written right after `noteRequestStart(x)` is x's.
 */
import type { Socket } from 'node:net';
import { buildConnector } from 'undici';

/** What undici writes first for every request: `METHOD target HTTP/1.1\r\n`. */
const REQUEST_LINE = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+ \S+ HTTP\/1\.1\r\n/;
/** A head bigger than this is left to undici (it has its own header limits). */
const MAX_HEAD = 64 * 1024;
const HTTP1 = Buffer.from('HTTP/1.');
const HEAD_END = Buffer.from('\r\n\r\n');

/** Learns whether its request was written on a connection that had carried one before. */
export interface ReuseProbe {
  reused: boolean;
}

let starting: ReuseProbe | undefined;

/**
 * Marks `probe` as the request undici is about to write (call from onRequestStart).
 * @example onRequestStart(c) { noteRequestStart(this) }
 */
export function noteRequestStart(probe: ReuseProbe): void {
  probe.reused = false;
  starting = probe;
}

/**
 * A connector for undici pools that installs the filter on every new connection.
 * @example new Pool(origin, { connect: interimFilteringConnector({ timeout: 5000 }) })
 */
export function interimFilteringConnector(opts: buildConnector.BuildOptions): buildConnector.connector {
  const base = buildConnector(opts);
  return (options, callback) =>
    base(options, (err, socket) => {
      if (socket) dropContinues(socket as Socket);
      (callback as (e: Error | null, s: Socket | null) => void)(err, socket as Socket | null);
    });
}

/**
 * Installs the filter on one socket (exported for tests).
 * @example dropContinues(net.connect(port))
 */
export function dropContinues(socket: Socket): void {
  const push = socket.push;
  const write = socket.write;
  let atHead = true;
  let held: Buffer | undefined;
  let requests = 0;
  // Fixed arity instead of rest arguments: no array per write (Writable.write treats undefined as absent).
  socket.write = function (this: Socket, chunk: unknown, encoding?: unknown, cb?: unknown) {
    if (typeof chunk === 'string' && REQUEST_LINE.test(chunk)) {
      atHead = true;
      if (starting) starting.reused = requests > 0;
      starting = undefined;
      requests++;
    }
    return (write as (c: unknown, e?: unknown, f?: unknown) => boolean).call(this, chunk, encoding, cb);
  } as Socket['write'];
  socket.push = function (this: Socket, chunk: unknown, encoding?: BufferEncoding) {
    if (chunk === null) {
      // End of stream: whatever was held back goes to undici first, which reports what it makes of it.
      if (held) push.call(this, held);
      held = undefined;
      return push.call(this, null);
    }
    if (!atHead || !Buffer.isBuffer(chunk)) return push.call(this, chunk, encoding);
    let buf = held ? Buffer.concat([held, chunk]) : chunk;
    held = undefined;
    for (;;) {
      if (buf.length < 13) {
        if (buf.length > 0) held = buf;
        return true;
      }
      if (!startsWithHttp1(buf)) break;
      // Only a well-formed `HTTP/1.x 1dd ` status line is an interim head (RFC 9112 §4: three
      // digits, then SP); `1000`, `100x` … go to undici untouched, which rejects them (502).
      const interim =
        buf[9] === 0x31 && isDigit(buf[10]!) && isDigit(buf[11]!) && buf[12] === 0x20 && !(buf[10] === 0x30 && buf[11] === 0x31); // 1xx other than 101
      if (!interim) break;
      const end = buf.indexOf(HEAD_END);
      // A head with a bare LF (RFC 9112 §2.2 lets a recipient reject it; we do) is not ours to cut
      // at the next CRLFCRLF: undici gets the bytes as they are and answers for them (502).
      if (bareLf(buf, end === -1 ? buf.length : end)) break;
      if (end === -1) {
        if (buf.length > MAX_HEAD) break;
        held = buf;
        return true;
      }
      const isContinue = buf[10] === 0x30 && buf[11] === 0x30; // byte 12 is SP (checked above)
      if (!isContinue) {
        // Another 1xx (102, 103…): undici handles and we relay it; the next head follows right after.
        push.call(this, buf.subarray(0, end + 4));
      }
      buf = buf.subarray(end + 4);
    }
    atHead = false;
    return push.call(this, buf);
  } as Socket['push'];
}

/** `buf` starts with `HTTP/1.`; byte by byte, cheaper than Buffer#compare on a 13+ byte head. */
function startsWithHttp1(buf: Buffer): boolean {
  for (let i = 0; i < HTTP1.length; i++) if (buf[i] !== HTTP1[i]) return false;
  return true;
}

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

/** Whether `buf[0, end)` holds an LF not preceded by CR. */
function bareLf(buf: Buffer, end: number): boolean {
  for (let i = buf.indexOf(0x0a); i !== -1 && i < end; i = buf.indexOf(0x0a, i + 1)) {
    if (i === 0 || buf[i - 1] !== 0x0d) return true;
  }
  return false;
}
