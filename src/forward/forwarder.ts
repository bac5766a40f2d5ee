/**
 * Streams one request to an upstream endpoint and its response back to the client, undici-handler
 * style: lifecycle callbacks instead of promises, and backpressure both ways (undici reads the client
 * body stream as the upstream accepts it; we pause undici when the client socket is full and resume
 * on 'drain'). Nothing is buffered beyond socket buffers. Never throws: every failure ends in `done`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import type { CaptureSink } from '../mirror/capture.js';
import type { Dispatcher } from 'undici';
import { sendLocalReply } from '../net/local-reply.js';
import { FL_CLIENT_ABORTED, type FieldlabErrorDef } from '../errors.js';
import { classifyUpstreamError } from './classify.js';
import { clientResponseHeaders } from './headers.js';
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
  /** ms from dispatch to upstream response headers (undefined if none came). */
  readonly upstreamMs: number | undefined;
}

/** What to send and where. */
export interface ForwardTarget {
  readonly endpoint: Endpoint;
  readonly method: string;
  /** Path with query string, as received. */
  readonly path: string;
  readonly headers: string[];
  readonly requestId: string;
  /** Extra headers for the client response (sticky cookie, exposed arm). Set-Cookie is appended. */
  readonly extraHeaders: readonly (readonly [string, string])[] | undefined;
  /** Mirrored requests only: observes the response as it streams (never delays it). */
  readonly capture?: CaptureSink | undefined;
  /** Mirrored writes only: the body tee to send instead of `req`. */
  readonly body?: Readable | undefined;
}

/**
 * Forwards `req` to `target.endpoint`, writing the response to `res`.
 * @example forward(req, res, target, (o) => log.info({ status: o.status }))
 */
export function forward(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, done: (o: ForwardOutcome) => void): void {
  const handler = new ForwardHandler(req, res, target, done);
  const hasBody = req.headers['transfer-encoding'] !== undefined || (req.headers['content-length'] ?? '0') !== '0';
  try {
    target.endpoint.pool.dispatch(
      {
        method: target.method as Dispatcher.HttpMethod,
        path: target.path,
        headers: target.headers,
        body: hasBody ? (target.body ?? req) : null,
        // Let undici retry idempotent requests on a stale keep-alive socket only when no body was read.
        idempotent: !hasBody && (target.method === 'GET' || target.method === 'HEAD'),
      },
      handler,
    );
  } catch (err) {
    // dispatch throws synchronously only for invalid arguments (e.g. a header undici rejects).
    handler.onResponseError(undefined, err as Error);
  }
}

const REASON = /^[\t\x20-\x7e\x80-\xff]*$/;

class ForwardHandler implements Dispatcher.DispatchHandler {
  readonly #req: IncomingMessage;
  readonly #res: ServerResponse;
  readonly #target: ForwardTarget;
  readonly #done: (o: ForwardOutcome) => void;
  readonly #started = performance.now();
  #controller: Dispatcher.DispatchController | undefined;
  #upstreamMs: number | undefined;
  #bytes = 0;
  #finished = false;
  #clientGone = false;
  #relayTrailers = false;

  constructor(req: IncomingMessage, res: ServerResponse, target: ForwardTarget, done: (o: ForwardOutcome) => void) {
    this.#req = req;
    this.#res = res;
    this.#target = target;
    this.#done = done;
    // A client that goes away cancels the upstream request (and frees its connection slot).
    res.once('close', () => {
      if (this.#finished || res.writableFinished) return;
      this.#clientGone = true;
      this.#controller?.abort(Object.assign(new Error('client closed the connection'), { code: 'FL_CLIENT_ABORTED' }));
      this.#finish(FL_CLIENT_ABORTED.status, FL_CLIENT_ABORTED.code);
    });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#clientGone) controller.abort(new Error('client closed the connection'));
  }

  onResponseStart(
    controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
    statusMessage?: string,
  ): void {
    if (statusCode < 200) return; // 1xx interim responses are not relayed
    recordConnect(this.#target.endpoint, true, Date.now());
    this.#upstreamMs = performance.now() - this.#started;
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
      this.#target.method !== 'HEAD' &&
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
    this.#target.capture?.start(statusCode, headers);
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#bytes += chunk.length;
    this.#target.capture?.data(chunk);
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

  onResponseError(_controller: Dispatcher.DispatchController | undefined, err: Error): void {
    if (this.#clientGone || this.#finished) return;
    const { def, connectFailure } = classifyUpstreamError(err);
    if (connectFailure) recordConnect(this.#target.endpoint, false, Date.now());
    this.#reply(def);
  }

  #reply(def: FieldlabErrorDef): void {
    const sent = this.#res.headersSent;
    // Drain what is left of the client's body so the connection can be reused for the next request.
    if (!this.#req.complete) this.#req.resume();
    sendLocalReply(this.#res, def, this.#target.requestId);
    this.#finish(sent ? this.#res.statusCode : def.status, def.code);
  }

  #finish(status: number, code: string | undefined): void {
    if (this.#finished) return;
    this.#finished = true;
    const capture = this.#target.capture;
    if (capture) code ? capture.fail(code) : capture.end();
    this.#done({ status, code, bytes: this.#bytes, upstreamMs: this.#upstreamMs });
  }
}
