/**
 * Maps undici/Node errors to registry codes, so every upstream failure becomes a coded local reply
 * (502 connect/reset/protocol, 504 timeouts) and passive health knows which ones were connect failures.
 */
import {
  FL_BAD_REQUEST,
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
 * Classifies an error from undici's dispatch.
 * @example classifyUpstreamError(Object.assign(new Error(), { code: 'ECONNREFUSED' })).def.code // 'FL_UPSTREAM_CONNECT'
 */
export function classifyUpstreamError(err: unknown): FailureClass {
  const code = (err as { code?: string } | null)?.code ?? '';
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { def: FL_UPSTREAM_CONNECT_TIMEOUT, connectFailure: true };
  if (CONNECT_CODES.has(code)) return { def: FL_UPSTREAM_CONNECT, connectFailure: true };
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT') return { def: FL_UPSTREAM_TIMEOUT, connectFailure: false };
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
    return { def: FL_UPSTREAM_RESET, connectFailure: false };
  }
  // ERR_INVALID_CHAR / ERR_INVALID_HTTP_TOKEN: Node refused to relay a header the upstream sent.
  if (
    code.startsWith('HPE_') ||
    code === 'UND_ERR_RES_CONTENT_LENGTH_MISMATCH' ||
    code === 'UND_ERR_INFO' ||
    code === 'ERR_INVALID_CHAR' ||
    code === 'ERR_INVALID_HTTP_TOKEN'
  ) {
    return { def: FL_UPSTREAM_PROTOCOL, connectFailure: false };
  }
  // The client's body did not match its own Content-Length: the client's fault, not the upstream's.
  if (code === 'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH') return { def: FL_BAD_REQUEST, connectFailure: false };
  return { def: FL_INTERNAL, connectFailure: false };
}
