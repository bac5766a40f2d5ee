/**
 * Relays a 1xx interim response to the client (RFC 9110 §15.2: a proxy forwards them). Node has
 * writers for 100, 102 and 103 only, so the head is written the way `writeContinue` does it: straight
 * onto the connection, which is only safe while this response owns the socket and has sent nothing.
 */
import { STATUS_CODES, type ServerResponse } from 'node:http';

/**
 * Writes `status` and `headers` as an interim response ahead of the final one; no-op once the final
 * head is out or while an earlier pipelined response still owns the connection.
 * @example relayInformational(res, 103, { link: '</a.css>; rel=preload' })
 */
export function relayInformational(res: ServerResponse, status: number, headers: Record<string, string | string[]>): void {
  const socket = res.socket;
  // res.socket is assigned only while this response is the connection's current one.
  if (!socket || res.headersSent || res.destroyed || !socket.writable) return;
  let head = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Informational'}\r\n`;
  for (const name in headers) {
    const v = headers[name]!;
    // undici's parser already refused CR, LF and NUL in field values; the names are tokens.
    for (const one of Array.isArray(v) ? v : [v]) head += `${name}: ${one}\r\n`;
  }
  socket.write(`${head}\r\n`, 'latin1');
}
