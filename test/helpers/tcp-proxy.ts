// A TCP proxy between Fieldlab and PostgreSQL that a test can cut and restore: the way to take the
// database away from some replicas without stopping the server other tests share.
import { createServer, connect, type Server, type Socket } from 'node:net';

/** A cuttable TCP proxy on 127.0.0.1. */
export interface TcpProxy {
  readonly port: number;
  /** Drops every connection and refuses new ones (like a server gone or a partition). */
  cut(): Promise<void>;
  /** Accepts again on the same port. */
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * @example const proxy = await startTcpProxy(5432); const url = `postgres://postgres@127.0.0.1:${proxy.port}/test`
 */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let server: Server | undefined;
  let port = 0;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, targetHost);
        for (const x of [client, upstream]) {
          sockets.add(x);
          x.on('close', () => sockets.delete(x));
          x.on('error', () => x.destroy());
        }
        client.pipe(upstream).pipe(client);
        client.on('close', () => upstream.destroy());
        upstream.on('close', () => client.destroy());
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      for (const x of sockets) x.destroy();
      if (!server) return resolve();
      server.close(() => resolve());
      server = undefined;
    });
  await listen();
  return { port, cut: stop, restore: listen, close: stop };
}
