// A raw TCP "upstream" that answers every request with bytes the test chooses, for response shapes
// no real HTTP server would send (invalid status lines, NUL in headers, 1xx floods…).
import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** A raw upstream and the requests it has seen (as text). */
export interface RawUpstream {
  readonly url: string;
  readonly requests: string[];
  close(): Promise<void>;
}

/**
 * Starts a server on 127.0.0.1:0; `answer` runs once per request head received on a connection.
 * @example const up = await startRawUpstream((s) => s.end('HTTP/1.1 099 Odd\r\n\r\n'))
 */
export async function startRawUpstream(answer: (socket: Socket, request: string) => void): Promise<RawUpstream> {
  const requests: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    let buf = '';
    socket.on('data', (c) => {
      buf += c.toString('latin1');
      for (let end = buf.indexOf('\r\n\r\n'); end !== -1; end = buf.indexOf('\r\n\r\n')) {
        const head = buf.slice(0, end);
        buf = buf.slice(end + 4);
        requests.push(head);
        answer(socket, head);
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
