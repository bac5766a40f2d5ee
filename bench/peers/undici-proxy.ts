/**
 * The "bare undici" reference: node:http in, undici Pool out, nothing else. It uses the same API as
 * Fieldlab's forwarder (`pool.dispatch` with a lifecycle handler), the fastest undici offers; measured on
 * this bench it beats `pool.stream` and clearly beats `pool.request` + pipeline. So Fieldlab's ratio
 * against it is Fieldlab's own overhead, not an artefact of a slow baseline.
 * Usage: node undici-proxy.js http://127.0.0.1:<upstream port>
 */
import http, { type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import { Pool, type Dispatcher } from 'undici';
import { serveChild } from '../lib/serve-child.js';

const target = process.argv[2];
if (!target) throw new Error('usage: undici-proxy.js <upstream origin>');

// Same connection cap as http-proxy's agent and Fieldlab's default, so no peer wins on pool size.
const pool = new Pool(target, { connections: 128, pipelining: 1 });

/** RFC 9110 §7.6.1: connection-specific fields are not forwarded (undici also rejects most of them). */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'proxy-authenticate',
  'proxy-authorization',
]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const name in headers) if (!HOP_BY_HOP.has(name)) out[name] = headers[name];
  return out;
}

/**
 * Streams the upstream response into `res`, pausing undici while the client socket is full, and aborts
 * the upstream exchange when the client goes away first. Without the abort, a client that hangs up while
 * its response is paused (or still queued in the pool) leaves that pool connection paused for ever: 'drain'
 * never comes on a closed socket. Every load run ends with such hang-ups, so the pool's 128 connections
 * leaked a few per run until the proxy answered nothing (seen from 256 client connections, 2026-12-03).
 * Fieldlab aborts the same way (forward/forward-handler.ts), so the reference does the work it does.
 */
class RelayHandler implements Dispatcher.DispatchHandler {
  readonly #res: ServerResponse;
  #controller: Dispatcher.DispatchController | undefined;
  #gone = false;

  constructor(res: ServerResponse) {
    this.#res = res;
    res.once('close', () => {
      if (res.writableFinished) return;
      this.#gone = true;
      this.#controller?.abort(new Error('client closed'));
    });
  }

  // Required (undici 7 treats a handler without onRequestStart as a legacy onConnect/onHeaders handler).
  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.#controller = controller;
    if (this.#gone) controller.abort(new Error('client closed'));
  }

  onResponseStart(controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.#res.writeHead(statusCode, endToEnd(headers));
    this.#res.on('drain', () => controller.resume());
  }

  onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.#res.write(chunk)) controller.pause();
  }

  onResponseEnd(): void {
    this.#res.end();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (this.#res.headersSent) this.#res.destroy(err);
    else this.#res.writeHead(502, { 'content-length': '0' }).end();
  }
}

serveChild(
  http.createServer((req, res) => {
    const hasBody = req.headers['content-length'] !== undefined || req.headers['transfer-encoding'] !== undefined;
    const handler = new RelayHandler(res);
    try {
      pool.dispatch(
        { path: req.url ?? '/', method: req.method as Dispatcher.HttpMethod, headers: endToEnd(req.headers), body: hasBody ? req : null },
        handler,
      );
    } catch {
      // dispatch throws synchronously only for arguments undici rejects (e.g. a malformed header).
      res.writeHead(502, { 'content-length': '0' }).end();
    }
  }),
);
