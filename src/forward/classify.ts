/**
 * Maps undici/Node errors to registry codes, so every upstream failure becomes a coded local reply
 * (502 connect/reset/protocol, 504 timeouts) and passive health knows which ones were connect failures.
 */
import {
  FL_BAD_REQUEST,
  FL_LOCAL_RESOURCES,
  FL_INTERNAL,
  FL_UPSTREAM_CONNECT,
  FL_UPSTREAM_CONNECT_TIMEOUT,
  FL_UPSTREAM_PROTOCOL,
  FL_UPSTREAM_RESET,
  FL_UPSTREAM_TIMEOUT,
  type FieldlabErrorDef,
} from '../errors.js';

/** How an upstream attempt failed. */
export interface FailureClass {
  readonly def: FieldlabErrorDef;
  /** The connection was never established: counts against the endpoint's health. */
  readonly connectFailure: boolean;
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN', 'EADDRNOTAVAIL']);

/**
 * The upstream broke HTTP. undici 7's parser errors (HTTPParserError) carry `code: undefined` for most
 * shapes (bad status line, NUL in a header, HTTP/0.9…), so they are recognised by name as well.
 */
const PROTOCOL_CODES = new Set([
  'UND_ERR_RES_CONTENT_LENGTH_MISMATCH',
  'UND_ERR_HEADERS_OVERFLOW',
  'UND_ERR_RES_EXCEEDED_MAX_SIZE',
  'UND_ERR_INFO',
  // Node refused to relay a header the upstream sent.
  'ERR_INVALID_CHAR',
  'ERR_INVALID_HTTP_TOKEN',
  'ERR_HTTP_INVALID_STATUS_CODE',
]);

/** Out of file descriptors or memory on our side: not the upstream's fault, and not a bug either. */
const LOCAL_RESOURCE_CODES = new Set(['EMFILE', 'ENFILE', 'ENOBUFS', 'ENOMEM']);

/**
 * Classifies an error from undici's dispatch.
 * @example classifyUpstreamError(Object.assign(new Error(), { code: 'ECONNREFUSED' })).def.code // 'FL_UPSTREAM_CONNECT'
 */
export function classifyUpstreamError(err: unknown): FailureClass {
  const code = (err as { code?: string } | null)?.code ?? '';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { def: FL_UPSTREAM_CONNECT_TIMEOUT, connectFailure: true };
  if (CONNECT_CODES.has(code)) return { def: FL_UPSTREAM_CONNECT, connectFailure: true };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return { def: FL_UPSTREAM_TIMEOUT, connectFailure: false };
  if (code.startsWith('HPE_') || PROTOCOL_CODES.has(code) || (err as Error | null)?.name === 'HTTPParserError') {
    return { def: FL_UPSTREAM_PROTOCOL, connectFailure: false };
  }
  // undici answers a response it can't pair with a request (or an unasked-for upgrade) this way.
  if (code === 'UND_ERR_SOCKET' && /^bad (response|upgrade)/.test((err as Error).message)) {
    return { def: FL_UPSTREAM_PROTOCOL, connectFailure: false };
  }
  if (LOCAL_RESOURCE_CODES.has(code)) return { def: FL_LOCAL_RESOURCES, connectFailure: false };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
    return { def: FL_UPSTREAM_RESET, connectFailure: false };
  }
  // The client's body did not match its own Content-Length: the client's fault, not the upstream's.
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return { def: FL_BAD_REQUEST, connectFailure: false };
  return { def: FL_INTERNAL, connectFailure: false };
}

/**
 * A 204 or 304 with `Content-Length` is valid (RFC 9110 §8.6, §15.3.5, §15.4.5: the field describes
 * the representation, no body follows), but undici reports a length mismatch once the head is out.
 * Such an exchange is complete, not failed.
 * @example bodilessLengthMismatch(Object.assign(new Error(), { code: 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' }), 304) // true
 */
export function bodilessLengthMismatch(err: unknown, status: number): boolean {
  return (status === 204 || status === 304) && (err as { code?: string } | null)?.code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH';
}
