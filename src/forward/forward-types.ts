/**
 * The forwarder's contract: what it is given (a target, the client-side limits, decorators) and what
 * it reports (the outcome). A prepared request (`ingress/prepare.ts`) is a target as it is, and the
 * config's `limits` section is the limits as it is: nothing is copied per request.
 */
import type { Readable } from 'node:stream';
import type { Dispatcher } from 'undici';
import type { Endpoint } from './pools.js';

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
   * first byte written on a connection, or for a body streamed from the client its last byte) to the
   * response headers. Excludes the client's upload, pool queueing and connecting, so a slow client
   * never makes an arm look slow. Undefined when no response head came.
   */
  readonly upstreamMs: number | undefined;
}

/** What to send and where. */
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

/** Client-side limits that bound what a slow client can hold (config `limits`). */
export interface ForwardLimits {
  /** Bodies up to this many bytes are read before the exchange starts (0 = stream all). */
  readonly bodyBuffer: number;
  /** Least upload rate in bytes/s over each window of `uploadRateGrace` ms (0 = off). */
  readonly minUploadRate: number;
  readonly uploadRateGrace: number;
  /** Response bytes held for a slow reader before undici is paused. */
  readonly responseBuffer: number;
  /** ms a paused response may wait for its client to read before the connection is cut. */
  readonly writeStallTimeout: number;
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
