/**
 * Proxy-made responses. Every failure the client sees carries the registry code in `x-fieldlab-error`
 * and a small JSON body, so an SRE can tell a proxy 502 from an application 502 at a glance.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { STATUS_CODES } from 'node:http';
import type { FieldlabErrorDef } from '../errors.js';

/** The JSON body of a local reply. */
export function localReplyBody(def: FieldlabErrorDef, requestId: string | undefined, detail?: string): string {
  return JSON.stringify({ error: { code: def.code, message: detail ?? def.message, requestId } });
}

/**
 * Sends a local reply, or, if the response has already started, cuts the connection: a truncated
 * response must look truncated to the client rather than complete.
 * @example sendLocalReply(res, FL_NO_ROUTE, 'req-1')
 */
export function sendLocalReply(res: ServerResponse, def: FieldlabErrorDef, requestId: string | undefined, detail?: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (res.destroyed) return;
  const body = localReplyBody(def, requestId, detail);
  // The reason is given explicitly: writeHead would otherwise reuse one a failed relay left behind.
  res.writeHead(def.status, STATUS_CODES[def.status] ?? 'Error', {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-fieldlab-error': def.code,
    ...(requestId ? { 'x-request-id': requestId } : {}),
  });
  res.end(body);
}

/**
 * Writes a local reply straight onto a raw socket, for errors before Node built a response object
 * (parse errors, header overflow) and for failed protocol upgrades. Closes the connection after.
 * `extra` fields (e.g. `x-fieldlab-arm`) are Fieldlab's own, never client input.
 */
export function sendRawReply(
  socket: Socket,
  def: FieldlabErrorDef,
  requestId?: string,
  extra: readonly (readonly [string, string])[] = [],
): void {
  if (!socket.writable) {
    socket.destroy();
    return;
  }
  const body = localReplyBody(def, requestId);
  socket.end(
    `HTTP/1.1 ${def.status} ${STATUS_CODES[def.status] ?? 'Error'}\r\n` +
      `content-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n` +
      `x-fieldlab-error: ${def.code}\r\n${extra.map(([k, v]) => `${k}: ${v}\r\n`).join('')}connection: close\r\n\r\n${body}`,
  );
}
