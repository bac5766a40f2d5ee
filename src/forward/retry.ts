/**
 * Retries a request once, on a fresh connection, when a reused keep-alive connection turns out to be
 * closed. The server may close an idle connection at the moment we send on it (a race no keep-alive
 * setting removes, RFC 9112 §9.3.1), and undici 7 does not retry. Only idempotent methods without a
 * body qualify (RFC 9110 §9.2.2), only before any response byte, interim or final, reached the
 * handler behind, only when the connection had carried a request before (a fresh connection that
 * fails says something about the upstream, not about keep-alive), and only for "connection closed or
 * reset" errors, never for timeouts.
 */
import type { Dispatcher } from 'undici';
import { type Controller, PassThroughHandler, type ResponseHeaders } from './decorator.js';
import { noteRequestStart, type ReuseProbe } from './interim-filter.js';

/** Methods that are safe to send twice (RFC 9110 §9.2.2). */
const IDEMPOTENT = new Set(['GET', 'HEAD', 'OPTIONS', 'TRACE', 'PUT', 'DELETE']);

/** The errors a stale keep-alive connection produces. */
const STALE = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE']);

/** Counts retries (exposed with the forward stats). */
export interface RetryStats {
  retries: number;
}

/**
 * True when a request may be retried: an idempotent method and no body.
 * @example retryable('GET', false) // true
 */
export function retryable(method: string, hasBody: boolean): boolean {
  return !hasBody && IDEMPOTENT.has(method);
}

/**
 * Decorates `inner`: a stale-connection failure before any response is re-sent once through
 * `fresh()` (a one-off connection) instead of reaching `inner`.
 * @example pool.dispatch(opts, new RetryOnceHandler(opts, () => endpoint.fresh(), stats, inner))
 */
export class RetryOnceHandler extends PassThroughHandler implements ReuseProbe {
  reused = false;
  readonly #opts: Dispatcher.DispatchOptions;
  readonly #fresh: () => Dispatcher;
  readonly #stats: RetryStats;
  #responded = false;
  #retried = false;

  constructor(opts: Dispatcher.DispatchOptions, fresh: () => Dispatcher, stats: RetryStats, inner: Dispatcher.DispatchHandler) {
    super(inner);
    this.#opts = opts;
    this.#fresh = fresh;
    this.#stats = stats;
  }

  override onRequestStart(controller: Dispatcher.DispatchController, context: unknown): void {
    noteRequestStart(this);
    super.onRequestStart(controller, context);
  }

  override onRequestUpgrade(controller: Dispatcher.DispatchController, status: number, headers: never, socket: never): void {
    this.#responded = true;
    super.onRequestUpgrade(controller, status, headers, socket);
  }

  override onResponseStart(controller: Controller, status: number, headers: ResponseHeaders, statusMessage?: string): void {
    this.#responded = true;
    super.onResponseStart(controller, status, headers, statusMessage);
  }

  override onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    const code = (err as { code?: string }).code ?? '';
    if (this.#responded || this.#retried || !this.reused || !STALE.has(code)) return super.onResponseError(controller, err);
    this.#retried = true;
    this.#stats.retries++;
    const client = this.#fresh();
    try {
      client.dispatch(this.#opts, this);
    } catch (e) {
      super.onResponseError(controller, e as Error);
    }
    // close() lets the one request finish, then releases the connection.
    void client.close().catch(() => undefined);
  }
}
