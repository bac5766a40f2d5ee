/**
 * Binding a listener: a promise that settles once the port is bound (or refused), and the bound
 * address in the `host:port` form logs and CLIs print.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Binds `server`; rejects with the bind error (EADDRINUSE, EACCES …).
 * @example await listen(proxy, '127.0.0.1', 0)
 */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

/**
 * The bound address, brackets around IPv6.
 * @example boundAddress(proxy) // '[::1]:8080'
 */
export function boundAddress(server: Server): string {
  const a = server.address() as AddressInfo;
  return a.family === 'IPv6' ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

/**
 * The bound port (useful with port 0).
 * @example boundPort(admin) // 40123
 */
export function boundPort(server: Server): number {
  return (server.address() as AddressInfo).port;
}
