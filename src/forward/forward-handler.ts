/**
 * The undici handler of one forwarded exchange, and the slow-client checks that bound what it holds:
 * a body upload below `limits.minUploadRate` is cut (408), a response its client stops reading is
 * cut after reading nothing for `limits.writeStallTimeout`, and at most half an endpoint's connections
 * may sit with a client that has read nothing for half a second (beyond that the newest such client
 * is cut), so non-reading clients can never take the whole pool while slow but reading ones (their
 * buffer shrinks between sweeps) are left alone. Nothing is buffered beyond `limits.responseBuffer`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import {
  FL_CLIENT_ABORTED,
  FL_CLIENT_STALLED,
  FL_UPLOAD_TOO_SLOW,
  FL_UPSTREAM_PROTOCOL,
  FL_UPSTREAM_QUEUE_FULL,
  FL_UPSTREAM_QUEUE_TIMEOUT,
  type FieldlabErrorDef,
} from '../errors.js';
import { sendLocalReply } from '../net/local-reply.js';
import { acquire, release, type Waiter, withdraw } from './admission.js';
import type { BodySink } from './body.js';
import { bodilessLengthMismatch, classifyUpstreamError } from './classify.js';
import type { ForwardLimits, ForwardListener, ForwardTarget } from './forward-types.js';
import { clientResponseHeaders } from './headers.js';
import { relayInformational } from './informational.js';
import { forwardStats } from './stats.js';
import { recordConnect } from './upstream.js';
import { createWatch, type Watched } from './watch.js';

const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;
/** A client that has read nothing for this long counts against its endpoint's stall quota. */
const STALL_GRACE_MS = 500;
const watch = createWatch(250);

/** Where a response's ForwardHandler rides, for the shared listeners below. */
const HANDLER = Symbol('fieldlab.forwardHandler');
type HandledResponse = ServerResponse & { [HANDLER]?: ForwardHandler };

function onClientClose(this: HandledResponse): void {
  this[HANDLER]?.clientClosed();
}

function onClientDrain(this: HandledResponse): void {
  this[HANDLER]?.drained();
}

function coded(def: FieldlabErrorDef): Error {
  return Object.assign(new Error(def.message), { code: def.code });
}

/** Forwarding of one exchange; see forwarder.ts for how it is assembled. */
export class ForwardHandler implements Dispatcher.DispatchHandler, Waiter, BodySink, Watched {
  /** The decorated chain (retry → capture → this): failures before dispatch go through it too. */
  outer: Dispatcher.DispatchHandler = this;
  /** The body source when the request has one (the client, or a mirroring tee). */
  body: Readable | undefined;
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #target: ForwardTarget;
  readonly #limits: ForwardLimits;
  readonly #listener: ForwardListener;
  readonly #opts: Dispatcher.DispatchOptions;
  #controller: Dispatcher.DispatchController | undefined;
  /** The controller the final response came with: what a drain resumes. */
  #responseController: Dispatcher.DispatchController | undefined;
  /** performance.now() when the request was on the wire (see ForwardOutcome.upstreamMs). */
  #sentAt = 0;
  #streamedBodyEnd = 0;
  #streamed = false;
  #upstreamMs: number | undefined;
  #status = 0;
  #bytes = 0;
  #finished = false;
  #dispatched = false;
  #slot = false;
  #relayTrailers = false;
  /** The upstream's final head, written with the first body byte or the end (status 0: none pending). */
  #headStatus = 0;
  #headReason: string | undefined;
  #headFields: Record<string, string | string[]> | undefined;
  /** The proxy's own reason to end the exchange (stall, slow upload, queue); wins over undici's error. */
  #cut: FieldlabErrorDef | undefined;
  /** The current upload-rate window: when it began and the bytes that arrived in it. */
  #windowStart = 0;
  #windowBytes = 0;
  #uploading = false;
  #pausedAt = 0;
  #drainHooked = false;
  /** While paused: the buffered length at the last sweep and when it last shrank (the client read). */
  #lastLength = 0;
  #lastProgress = 0;
  #stalled = false;
  #timer: NodeJS.Timeout | undefined;

  constructor(
    req: IncomingMessage,
    res: ServerResponse,
    target: ForwardTarget,
    limits: ForwardLimits,
    listener: ForwardListener,
    opts: Dispatcher.DispatchOptions,
  ) {
    this.#req = req;
    this.#res = res;
    this.#target = target;
    this.#limits = limits;
    this.#listener = listener;
    this.#opts = opts;
    // A client that goes away cancels the upstream request (and frees its connection slot). One shared
    // listener function (the handler rides on the response) instead of a closure and a once-wrapper per
    // request; 'close' is emitted once.
    (res as HandledResponse)[HANDLER] = this;
    res.on('close', onClientClose);
    if (target.hasBody && limits.minUploadRate > 0) {
      this.#uploading = true;
      this.#windowStart = performance.now();
      watch.add(this);
    }
  }

  /** The client's response closed: cancel unless it was complete. */
  clientClosed(): void {
    if (this.#finished || this.#res.writableFinished) return;
    this.#finish(FL_CLIENT_ABORTED.status, FL_CLIENT_ABORTED.code);
    if (this.#controller) this.#controller.abort(coded(FL_CLIENT_ABORTED));
    else if (!this.#dispatched) this.outer.onResponseError?.(undefined as never, coded(FL_CLIENT_ABORTED));
  }

  // --- before dispatch: body, admission -------------------------------------------------------

  uploaded(n: number): void {
    this.#windowBytes += n;
  }

  ready(body: Buffer | AsyncIterable<Buffer>): void {
    this.#opts.body = body as Dispatcher.DispatchOptions['body'];
    const src = this.body!;
    if (src.readableEnded) this.#uploadDone();
    else {
      this.#streamed = !Buffer.isBuffer(body);
      src.once('end', () => this.#uploadDone());
    }
    this.start();
  }

  start(): void {
    if (this.#finished) return;
    const slot = acquire(this.#target.endpoint, this);
    if (slot === 'now') return this.admitted();
    if (slot === 'full') {
      forwardStats.queueFull++;
      return this.#failEarly(FL_UPSTREAM_QUEUE_FULL);
    }
    this.#timer = setTimeout(() => {
      if (!withdraw(this.#target.endpoint, this)) return;
      forwardStats.queueTimeouts++;
      this.#failEarly(FL_UPSTREAM_QUEUE_TIMEOUT);
    }, this.#target.endpoint.timeouts.queue);
  }

  admitted(): void {
    this.#slot = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#finished) return this.#release();
    this.#dispatched = true;
    try {
      this.#target.endpoint.pool.dispatch(this.#opts, this.outer);
    } catch (err) {
      // dispatch throws synchronously only for invalid arguments (e.g. a header undici rejects).
      this.outer.onResponseError?.(undefined as never, err as Error);
    }
  }

  #failEarly(def: FieldlabErrorDef): void {
    this.#cut = def;
    this.outer.onResponseError?.(undefined as never, coded(def));
  }

  #uploadDone(): void {
    this.#uploading = false;
    if (this.#streamed) this.#streamedBodyEnd = performance.now();
    if (!this.#pausedAt) watch.delete(this);
  }

  // --- the sweep ------------------------------------------------------------------------------

  check(now: number): void {
    const l = this.#limits;
    if (this.#uploading) {
      // The rate is measured per window of `uploadRateGrace`, not averaged since the start: an
      // average lets a burst "bank" minutes of stall while the upstream connection is held (as
      // nginx's client_body_timeout, every window must carry its own bytes). While a streamed body
      // waits for a connection slot nobody reads it, so the client can't be blamed: the window restarts.
      const reading = this.#dispatched || !this.#streamed;
      const elapsed = now - this.#windowStart;
      if (!reading) this.#newWindow(now);
      else if (elapsed > l.uploadRateGrace) {
        if ((this.#windowBytes * 1000) / elapsed < l.minUploadRate) {
          forwardStats.slowUploads++;
          // The rest of the body will not be read: the connection can't carry another request.
          this.#res.shouldKeepAlive = false;
          return this.#cutWith(FL_UPLOAD_TOO_SLOW);
        }
        this.#newWindow(now);
      }
    }
    if (!this.#pausedAt) return;
    const length = this.#res.writableLength;
    if (length < this.#lastLength) {
      this.#lastProgress = now;
      this.#unstall();
    }
    this.#lastLength = length;
    const idle = now - this.#lastProgress;
    const ep = this.#target.endpoint;
    if (!this.#stalled && idle > STALL_GRACE_MS) {
      this.#stalled = true;
      ep.stalled++;
    }
    if (idle > l.writeStallTimeout || (this.#stalled && ep.stalled > ep.connections / 2)) {
      forwardStats.stalledReaders++;
      this.#cutWith(FL_CLIENT_STALLED);
      this.#res.destroy();
    }
  }

  #newWindow(now: number): void {
    this.#windowStart = now;
    this.#windowBytes = 0;
  }

  #cutWith(def: FieldlabErrorDef): void {
    if (this.#finished) return;
    if (!this.#dispatched) return this.#failEarly(def);
    this.#cut = def;
    if (this.#controller) this.#controller.abort(coded(def));
  }

  // --- undici callbacks -----------------------------------------------------------------------

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // undici calls this as it writes the request onto a connected socket: queueing and connecting
    // are behind us, the first byte is going out now.
    this.#sentAt = performance.now();
    if (this.#finished) controller.abort(coded(this.#cut ?? FL_CLIENT_ABORTED));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    // Status codes are three digits, 1xx to 5xx (RFC 9110 §15); llhttp lets 000-099 through.
    if (statusCode < 100 || statusCode > 599) return this.#cutWith(FL_UPSTREAM_PROTOCOL);
    if (statusCode < 200) return this.#interim(controller, statusCode, headers);
    if (this.#timer) clearTimeout(this.#timer);
    // A success needs no clock (it only clears the failure count), so none is read.
    recordConnect(this.#target.endpoint, true, 0);
    const now = performance.now();
    // A streamed body counts as sent at its last byte, unless the answer came before it (early reply).
    const from = Math.max(this.#streamedBodyEnd, this.#sentAt);
    this.#upstreamMs = now - from;
    this.#status = statusCode;
    const res = this.#res;
    if (res.destroyed) return;
    const out = clientResponseHeaders(headers);
    // Trailers ride only on a chunked body (RFC 9112 §7.1.2). Node throws if `Trailer` is declared on
    // any other framing (HEAD, 204/304, Content-Length, an HTTP/1.0 client), so drop it there.
    // (Checked here because writeHead(obj) doesn't populate res.hasHeader().)
    const chunked =
      out['content-length'] === undefined &&
      statusCode !== 204 &&
      statusCode !== 304 &&
      this.#req.method !== 'HEAD' &&
      res.useChunkedEncodingByDefault;
    // Guarded: a `delete` of an absent field is still a runtime call per response.
    if (!chunked && out.trailer !== undefined) delete out.trailer;
    this.#relayTrailers = chunked && out.trailer !== undefined;
    const extra = this.#target.extraHeaders;
    if (extra)
      for (const [name, value] of extra) {
        const prev = out[name];
        out[name] = prev === undefined ? value : name === 'set-cookie' ? [...[prev].flat(), value] : value;
      }
    // Relay the reason phrase only when Node will accept it (RFC 9112 §4: HTAB, SP, VCHAR, obs-text);
    // a bad one would throw here, after Node has already stored it.
    // The head is written with the first body byte (or the end): Node sends it no sooner anyway, and
    // until then an upstream error (a malformed first chunk) can still be a clean 502, not an empty reply.
    this.#headReason = statusMessage && (statusMessage === 'OK' || REASON.test(statusMessage)) ? statusMessage : undefined;
    this.#headFields = out;
    this.#headStatus = statusCode;
    this.#responseController = controller;
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bytes += chunk.length;
    const res = this.#res;
    this.#flushHead();
    res.write(chunk);
    // Hold up to responseBuffer for a slow reader, so a response that fits frees its upstream
    // connection at once; past it, push back on the upstream and start the stall clock.
    if (res.writableLength > this.#limits.responseBuffer && !this.#pausedAt) {
      controller.pause();
      // Only a paused response waits for 'drain' (drained() ignores it otherwise): the listener is
      // added at the first pause, not for every response.
      if (!this.#drainHooked) {
        this.#drainHooked = true;
        res.on('drain', onClientDrain);
      }
      this.#pausedAt = this.#lastProgress = performance.now();
      this.#lastLength = res.writableLength;
      watch.add(this);
    }
  }

  /** The client read what was buffered: resume the upstream if it was paused for it. */
  drained(): void {
    if (!this.#pausedAt) return;
    this.#pausedAt = 0;
    this.#unstall();
    if (!this.#uploading) watch.delete(this);
    this.#responseController?.resume();
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    const res = this.#res;
    this.#flushHead();
    if (this.#relayTrailers) {
      const clean: Record<string, string | string[]> = {};
      for (const k in trailers) if (trailers[k] !== undefined) clean[k] = trailers[k]!;
      res.addTrailers(clean);
    }
    res.end();
    this.#finish(res.statusCode, undefined);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#timer) clearTimeout(this.#timer);
    if (this.#finished) return;
    if (bodilessLengthMismatch(err, this.#status)) return this.onResponseEnd(controller, {});
    if (this.#cut) return this.#reply(this.#cut);
    const { def, connectFailure } = classifyUpstreamError(err);
    if (connectFailure) recordConnect(this.#target.endpoint, false, Date.now());
    this.#reply(def);
  }

  /**
   * A 1xx interim response (RFC 9110 §15.2): a proxy forwards them, except to an HTTP/1.0 client and
   * except 101, which only an upgrade may get. The first one also starts our own headers deadline:
   * undici restarts its headers timer on every 1xx, so a stream of them would never time out.
   */
  #interim(controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    if (!this.#timer) {
      const left = this.#target.endpoint.timeouts.headers - (performance.now() - this.#sentAt);
      this.#timer = setTimeout(
        () => controller.abort(Object.assign(new Error('1xx responses past the headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' })),
        Math.max(0, left),
      );
    }
    if (status !== 101 && this.#req.httpVersion === '1.1') relayInformational(this.#res, status, clientResponseHeaders(headers));
  }

  #flushHead(): void {
    const status = this.#headStatus;
    if (status === 0) return;
    this.#headStatus = 0;
    this.#res.writeHead(status, this.#headReason, this.#headFields);
  }

  #reply(def: FieldlabErrorDef): void {
    const res = this.#res;
    // A final head not yet written never reached the client: ours replaces it.
    this.#headStatus = 0;
    const sent = res.headersSent;
    // Drain what is left of the client's body so the connection can be reused for the next request
    // (not after a too-slow upload: that body is not waited for).
    if (!this.#req.complete && def !== FL_UPLOAD_TOO_SLOW) this.#req.resume();
    // Our own 502/503/504 still says which arm the client was on when the route exposes it.
    if (!sent && !res.destroyed)
      for (const [name, value] of this.#target.extraHeaders ?? []) if (name === 'x-fieldlab-arm') res.setHeader(name, value);
    if (def === FL_UPLOAD_TOO_SLOW && !sent) res.setHeader('connection', 'close');
    sendLocalReply(res, def, this.#target.requestId);
    // A cut client (499) never sees a status; otherwise the client got ours, or the one already sent.
    this.#finish(sent && def.status !== 499 ? res.statusCode : def.status, def.code);
  }

  #unstall(): void {
    if (!this.#stalled) return;
    this.#stalled = false;
    this.#target.endpoint.stalled--;
  }

  #release(): void {
    if (!this.#slot) return;
    this.#slot = false;
    release(this.#target.endpoint);
  }

  #finish(status: number, code: string | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    if (this.#timer) clearTimeout(this.#timer);
    if (!this.#slot && !this.#dispatched) withdraw(this.#target.endpoint, this);
    this.#release();
    this.#unstall();
    this.#pausedAt = 0;
    this.#uploading = false;
    watch.delete(this);
    this.#listener.forwarded({ status, code, bytes: this.#bytes, upstreamMs: this.#upstreamMs });
  }
}
