/**
 * The proxy's HTTP listener and its client-side protections: header size and count limits, head and
 * request timeouts against slowloris, and strict framing (llhttp rejects Content-Length together
 * with Transfer-Encoding, and conflicting Content-Lengths) — each answered with a coded 4xx.
 */
import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:net';
import type { RawConfig } from '../config/schema.js';
import { FL_AMBIGUOUS_FRAMING, FL_BAD_REQUEST, FL_HEADERS_TOO_LARGE, FL_REQUEST_TIMEOUT, type FieldlabErrorDef } from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { createRequestHandler, type HandlerDeps } from './handler.js';
import { sendRawReply } from '../net/local-reply.js';
import { createUpgradeHandler } from './upgrade.js';

/** llhttp/Node parse error codes → our registry. */
function clientErrorDef(code: string | undefined): FieldlabErrorDef {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return FL_HEADERS_TOO_LARGE;
    case 'HPE_UNEXPECTED_CONTENT_LENGTH':
    case 'HPE_INVALID_CONTENT_LENGTH':
    case 'HPE_INVALID_TRANSFER_ENCODING':
      return FL_AMBIGUOUS_FRAMING;
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return FL_REQUEST_TIMEOUT;
    default:
      return FL_BAD_REQUEST;
  }
}

/**
 * Creates (but does not start) the proxy server.
 * @example const server = createProxyServer(cfg.limits, deps); server.listen(8080)
 */
export function createProxyServer(limits: RawConfig['limits'], deps: HandlerDeps & { log: Logger }): Server {
  const server = createServer(
    {
      maxHeaderSize: limits.maxHeaderSize,
      requestTimeout: limits.requestTimeout,
      headersTimeout: limits.headersTimeout,
      keepAliveTimeout: limits.keepAliveTimeout,
      // Timeouts are checked on this interval; a tighter one makes short timeouts accurate.
      connectionsCheckingInterval: Math.min(1000, Math.max(100, Math.floor(limits.headersTimeout / 4))),
      requireHostHeader: true,
    },
    createRequestHandler(deps),
  );
  applyLimits(server, limits);
  server.on('upgrade', createUpgradeHandler(deps));
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    if (err.code === 'ECONNRESET' || !socket.writable) {
      socket.destroy();
      return;
    }
    const def = clientErrorDef(err.code);
    deps.log.info({ type: 'client_error', code: def.code, reason: err.code, peer: socket.remoteAddress }, 'rejected request');
    sendRawReply(socket, def);
  });
  return server;
}

/** Applies the limits that Node lets us change on a running server (used on hot reload too). */
export function applyLimits(server: Server, limits: RawConfig['limits']): void {
  server.headersTimeout = limits.headersTimeout;
  server.requestTimeout = limits.requestTimeout;
  server.keepAliveTimeout = limits.keepAliveTimeout;
  // One over the limit so the handler can see the overflow and answer 431 instead of Node
  // silently dropping the extra headers.
  server.maxHeadersCount = limits.maxHeaders + 1;
}
