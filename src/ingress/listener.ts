/**
 * The proxy's HTTP listener and its client-side protections: header size and count limits, head and
 * request timeouts against slowloris, and strict framing (llhttp rejects Content-Length together
 * with Transfer-Encoding, and conflicting Content-Lengths) — each answered with a coded 4xx.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { RawConfig } from '../config/schema.js';
import {
  FL_AMBIGUOUS_FRAMING,
  FL_BAD_REQUEST,
  FL_CONNECT_UNSUPPORTED,
  FL_EXPECTATION_FAILED,
  FL_HEADERS_TOO_LARGE,
  FL_HTTP_VERSION,
  FL_REQUEST_TIMEOUT,
  FL_UPGRADE_REFUSED,
  type FieldlabErrorDef,
} from '../errors.js';
import type { Logger } from '../telemetry/logger.js';
import { createRequestHandler, type HandlerDeps } from './handler.js';
import { sendLocalReply, sendRawReply } from '../net/local-reply.js';
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
    // llhttp refuses other versions itself (`HTTP/3.0`, `HTTP/1.2`) and pauses on the HTTP/2 preface
    // (`PRI * HTTP/2.0`): the same 505 request-target.ts gives `HTTP/0.9` and `HTTP/2.0`.
    case 'HPE_INVALID_VERSION':
    case 'HPE_PAUSED_H2_UPGRADE':
      return FL_HTTP_VERSION;
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
      // Host is checked in ingress/request-target.ts, so a missing one gets a coded, logged 400 like
      // a repeated or invalid one, instead of Node's bare 400.
      requireHostHeader: false,
    },
    createRequestHandler(deps),
  );
  applyLimits(server, limits);
  const upgrade = createUpgradeHandler(deps);
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    // RFC 9110 §7.8: a server MUST ignore Upgrade in an HTTP/1.0 request. Node has already handed
    // over the socket, so it can't become a plain request any more: refused, coded and logged.
    if (req.httpVersionMajor === 1 && req.httpVersionMinor === 0) {
      logLocal(deps, req, FL_UPGRADE_REFUSED);
      return sendRawReply(socket, FL_UPGRADE_REFUSED);
    }
    upgrade(req, socket, head);
  });
  // Without a listener Node destroys a CONNECT's socket without a word, and answers an unknown
  // Expect with a bare 417; both get a coded reply and an access line instead.
  server.on('connect', (req: IncomingMessage, socket: Socket) => {
    logLocal(deps, req, FL_CONNECT_UNSUPPORTED);
    sendRawReply(socket, FL_CONNECT_UNSUPPORTED);
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    const rid = logLocal(deps, req, FL_EXPECTATION_FAILED);
    sendLocalReply(res, FL_EXPECTATION_FAILED, rid);
  });
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

/** Logs a reply the listener made before any handler ran, in the access-log shape; returns its request id. */
function logLocal(deps: HandlerDeps & { log: Logger }, req: IncomingMessage, def: FieldlabErrorDef): string {
  const rid = randomUUID();
  if (deps.current().config.log.access)
    deps.log.info({ type: 'access', rid, method: req.method, path: req.url, status: def.status, code: def.code, bytes: 0 }, 'access');
  return rid;
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
