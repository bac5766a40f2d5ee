// Raw HTTP/1.1 over a TCP socket, for framing and limit tests that a well-behaved client can't send.
import { connect } from 'node:net';

/** A raw response: status, lower-cased headers, body text. */
export interface RawResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
  readonly text: string;
}

/** Parses the first response in `text`. */
export function parseRaw(text: string): RawResponse {
  const end = text.indexOf('\r\n\r\n');
  const head = end === -1 ? text : text.slice(0, end);
  const [statusLine = '', ...lines] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const i = line.indexOf(':');
    if (i > 0) headers[line.slice(0, i).trim().toLowerCase()] = line.slice(i + 1).trim();
  }
  return { status: Number(statusLine.split(' ')[1]), headers, body: end === -1 ? '' : text.slice(end + 4), text };
}

/**
 * Writes `payload` to 127.0.0.1:port and resolves with everything read until the server closes
 * (or `idleMs` passes without data).
 */
export function rawExchange(port: number, payload: string | Buffer, idleMs = 2_000): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const done = () => {
      socket.destroy();
      resolve(parseRaw(Buffer.concat(chunks).toString('latin1')));
    };
    socket.setTimeout(idleMs, done);
    socket.on('data', (c) => {
      chunks.push(c);
      // Done as soon as one complete Content-Length response is in, without waiting for close.
      const r = parseRaw(Buffer.concat(chunks).toString('latin1'));
      const length = Number(r.headers['content-length']);
      if (r.status >= 200 && Number.isFinite(length) && Buffer.byteLength(r.body, 'latin1') >= length) done();
    });
    socket.on('end', done);
    socket.on('close', done);
    socket.on('error', (err) => (chunks.length ? done() : reject(err)));
    socket.write(payload);
  });
}
