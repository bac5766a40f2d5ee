/**
 * Streams one request to an upstream endpoint and its response back to the client, undici-handler
 * style: lifecycle callbacks instead of promises, and backpressure both ways (undici reads the client
 * body stream as the upstream accepts it; we pause undici when the client socket is full and resume
 * on 'drain'). Other behaviour (capturing for shadows, retrying) decorates this handler from outside,
 * so this file knows nothing about mirroring. Never throws: every failure ends in `listener.forwarded`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import { sendLocalReply } from '../net/local-reply.js';
import { FL_CLIENT_ABORTED, type FieldlabErrorDef } from '../errors.js';
import { bodilessLengthMismatch, classifyUpstreamError } from './classify.js';
import { clientResponseHeaders } from './headers.js';
import { relayInformational } from './informational.js';
import type { Endpoint } from './pools.js';
import { recordConnect } from './upstream.js';

/** How a forwarded exchange ended; what access logs and metrics record. */
export interface ForwardOutcome {
  /** Status the client got (499 if it went away first). */
  readonly status: number;
  /** Registry code when the proxy, not the upstream, decided the status. */
  readonly code: string | undefined;
  /** Response body bytes sent to the client. */
  readonly bytes: number;
  /**
   * The upstream's own time: ms from the moment the request was on the wire to the upstream (its
   * first byte sent on a connection; for a body streamed from the client, its last byte) to the
   * response headers. Excludes the client's upload, pool queueing and connecting, so a slow client
   * never makes an arm look slow. Undefined when no response head came.
   */
  readonly upstreamMs: number | undefined;
}

/** What to send and where; a prepared request (`ingress/prepare.ts`) is one as it is. */
export interface ForwardTarget {
  readonly endpoint: Endpoint;
  /** Path with query string, as received. */
  readonly path: string;
  readonly headers: string[];
  readonly requestId: string;
  /** Extra headers for the client response (sticky cookie, exposed arm). Set-Cookie is appended. */
  readonly extraHeaders: readonly (readonly [string, string])[] | undefined;
  /** The request has a body (Content-Length other than 0, or Transfer-Encoding); decided once. */
  readonly hasBody: boolean;
}

/** Told once how the exchange ended. */
export interface ForwardListener {
  forwarded(outcome: ForwardOutcome): void;
}

/** Wraps the forward handler with another undici handler that sees every callback first (capture, retry). */
export interface HandlerDecorator {
  wrap(inner: Dispatcher.DispatchHandler): Dispatcher.DispatchHandler;
}

/** Per-request extras; all optional. */
export interface ForwardExtras {
  /** Body to send instead of `req` (a mirroring tee). */
  readonly body?: Readable | undefined;
  readonly decorator?: HandlerDecorator | undefined;
}

const NO_EXTRAS: ForwardExtras = {};

/**
 * Forwards `req` to `target.endpoint`, writing the response to `res`.
 * @example forward(req, res, prepared, { forwarded: (o) => log.info({ status: o.status }) })
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: ForwardTarget,
  listener: ForwardListener,
  extras: ForwardExtras = NO_EXTRAS,
): void {
  const fh = new ForwardHandler(req, res, target, listener);
  const handler = extras.decorator ? extras.decorator.wrap(fh) : fh;
  const method = req.method ?? 'GET';
  const body = target.hasBody ? (extras.body ?? req) : null;
  if (body) fh.watchBodyEnd(body);
  try {
    target.endpoint.pool.dispatch({ method: method as Dispatcher.HttpMethod, path: target.path, headers: target.headers, body }, handler);
  } catch (err) {
    // dispatch throws synchronously only for invalid arguments (e.g. a header undici rejects).
    handler.onResponseError?.(undefined as unknown as Dispatcher.DispatchController, err as Error);
  }
}

const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #target: ForwardTarget;
  readonly #listener: ForwardListener;
  #controller: Dispatcher.DispatchController | undefined;
  /** performance.now() when the request was on the wire (see ForwardOutcome.upstreamMs). */
  #sentAt = 0;
  #upstreamMs: number | undefined;
  #status = 0;
  #bytes = 0;
  #finished = false;
  #clientGone = false;
  #relayTrailers = false;
  /** Bounds a stream of 1xx responses, which make undici restart its headers timer each time. */
  #interimTimer: NodeJS.Timeout | undefined;

  constructor(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, listener: ForwardListener) {
    this.#req = req;
    this.#res = res;
    this.#target = target;
    this.#listener = listener;
    // A client that goes away cancels the upstream request (and frees its connection slot).
    res.once('close', () => {
      if (this.#finished || res.writableFinished) return;
      this.#clientGone = true;
      this.#controller?.abort(Object.assign(new Error('client closed the connection'), { code: FL_CLIENT_ABORTED.code }));
      this.#finish(FL_CLIENT_ABORTED.status, FL_CLIENT_ABORTED.code);
    });
  }

  /** A body streamed from the client is on the wire when the last byte of it was read by undici. */
  watchBodyEnd(body: Readable): void {
    body.once('end', () => {
      this.#sentAt = performance.now();
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    // undici calls this as it writes the request onto a connected socket: queueing and connecting
    // are behind us, the first byte is going out now.
    this.#sentAt = performance.now();
    if (this.#clientGone) controller.abort(Object.assign(new Error('client closed the connection'), { code: FL_CLIENT_ABORTED.code }));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return this.#interim(controller, statusCode, headers);
    if (this.#interimTimer) clearTimeout(this.#interimTimer);
    recordConnect(this.#target.endpoint, true, Date.now());
    // A body still streaming when the head arrives (an early answer) was not "sent" yet: fall back.
    this.#upstreamMs = Math.max(0, performance.now() - this.#sentAt);
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
    if (!chunked) delete out.trailer;
    this.#relayTrailers = chunked && out.trailer !== undefined;
    for (const [name, value] of this.#target.extraHeaders ?? []) {
      const prev = out[name];
      out[name] = prev === undefined ? value : name === 'set-cookie' ? [...[prev].flat(), value] : value;
    }
    // Relay the reason phrase only when Node will accept it (RFC 9112 §4: HTAB, SP, VCHAR, obs-text);
    // a bad one would throw here, after Node has already stored it.
    res.writeHead(statusCode, statusMessage && REASON.test(statusMessage) ? statusMessage : undefined, out);
    res.on('drain', () => controller.resume());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (!this.#res.write(chunk)) controller.pause();
  }

  onResponseEnd(_controller: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    const res = this.#res;
    if (this.#relayTrailers) {
      const clean: Record<string, string | string[]> = {};
      for (const k in trailers) if (trailers[k] !== undefined) clean[k] = trailers[k]!;
      res.addTrailers(clean);
    }
    res.end();
    this.#finish(res.statusCode, undefined);
  }

  onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#interimTimer) clearTimeout(this.#interimTimer);
    if (this.#clientGone || this.#finished) return;
    if (bodilessLengthMismatch(err, this.#status)) return this.onResponseEnd(controller, {});
    const { def, connectFailure } = classifyUpstreamError(err);
    if (connectFailure) recordConnect(this.#target.endpoint, false, Date.now());
    this.#reply(def);
  }

  /**
   * A 1xx interim response (RFC 9110 §15.2): a proxy forwards them, except to an HTTP/1.0 client and
   * except 101, which only an upgrade may get. The first one also starts our own headers deadline.
   */
  #interim(controller: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    if (!this.#interimTimer) {
      const left = this.#target.endpoint.timeouts.headers - (performance.now() - this.#sentAt);
      this.#interimTimer = setTimeout(
        () => controller.abort(Object.assign(new Error('1xx responses past the headers timeout'), { code: 'UND_ERR_HEADERS_TIMEOUT' })),
        Math.max(0, left),
      );
      this.#interimTimer.unref();
    }
    if (status !== 101 && this.#req.httpVersion === '1.1') relayInformational(this.#res, status, clientResponseHeaders(headers));
  }

  #reply(def: FieldlabErrorDef): void {
    const res = this.#res;
    const sent = res.headersSent;
    // Drain what is left of the client's body so the connection can be reused for the next request.
    if (!this.#req.complete) this.#req.resume();
    // Our own 502/503/504 still says which arm the client was on when the route exposes it.
    if (!sent && !res.destroyed)
      for (const [name, value] of this.#target.extraHeaders ?? []) if (name === 'x-fieldlab-arm') res.setHeader(name, value);
    sendLocalReply(res, def, this.#target.requestId);
    this.#finish(sent ? res.statusCode : def.status, def.code);
  }

  #finish(status: number, code: string | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#listener.forwarded({ status, code, bytes: this.#bytes, upstreamMs: this.#upstreamMs });
  }
}
