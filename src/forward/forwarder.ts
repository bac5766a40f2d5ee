/**
 * Forwards one request to an upstream endpoint and streams its response back. The order protects the
 * pool from slow clients: a body up to `limits.bodyBuffer` is read first (body.ts), then a connection
 * slot is taken or waited for in a bounded queue (admission.ts), then undici sends it. Behaviour that
 * is not forwarding decorates the handler from outside, undici-style (capture for shadows, retry.ts),
 * so this file knows nothing about mirroring. Never throws: every failure ends in `listener.forwarded`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Dispatcher } from 'undici';
import { readBody } from './body.js';
import { ForwardHandler } from './forward-handler.js';
import type { ForwardExtras, ForwardLimits, ForwardListener, ForwardTarget } from './forward-types.js';
import { RetryOnceHandler, retryable } from './retry.js';
import { forwardStats } from './stats.js';

export type { ForwardExtras, ForwardLimits, ForwardListener, ForwardOutcome, ForwardTarget, HandlerDecorator } from './forward-types.js';

const NO_EXTRAS: ForwardExtras = {};

/**
 * Forwards `req` to `target.endpoint`, writing the response to `res`.
 * @example forward(req, res, prepared, snapshot.config.limits, { forwarded: (o) => log.info({ status: o.status }) })
 */
export function forward(
  req: IncomingMessage,
  res: ServerResponse,
  target: ForwardTarget,
  limits: ForwardLimits,
  listener: ForwardListener,
  extras: ForwardExtras = NO_EXTRAS,
): void {
  const method = req.method ?? 'GET';
  const opts: Dispatcher.DispatchOptions = {
    method: method as Dispatcher.HttpMethod,
    path: target.path,
    headers: target.headers,
    body: null,
  };
  const fh = new ForwardHandler(req, res, target, limits, listener, opts);
  let handler: Dispatcher.DispatchHandler = extras.decorator ? extras.decorator.wrap(fh) : fh;
  // Retry sits outermost: a first attempt that died on a stale connection is never seen behind it.
  if (retryable(method, target.hasBody)) handler = new RetryOnceHandler(opts, target.endpoint.fresh, forwardStats, handler);
  fh.outer = handler;
  if (!target.hasBody) return fh.start();
  fh.body = extras.body ?? req;
  readBody(fh.body, limits.bodyBuffer, req.headers['content-length'], fh);
}
