/**
 * Binding a listener: a promise that settles once the port is bound (or refused), and the bound
 * address in the `host:port` form logs and CLIs print.
 */
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { hostname } from 'node:os';
import { FL_LISTEN_FAILED, FieldlabError } from '../errors.js';

/**
 * Binds `server`; rejects with FL_LISTEN_FAILED naming the address and the bind error (EADDRINUSE,
 * EACCES …, kept as `cause`).
 * @example await listen(proxy, '127.0.0.1', 0)
 */
export function listen(server: Server, host: string, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const fail = (err: NodeJS.ErrnoException) => {
      const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
      reject(new FieldlabError(FL_LISTEN_FAILED, `could not listen on ${where}: ${err.code ?? err.message}`, { cause: err }));
    };
    server.once('error', fail);
    server.listen(port, host, () => {
      server.off('error', fail);
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

/**
 * An `http://host:port` base others can follow to this listener (e.g. a webhook's status link): an
 * unspecified bind address (0.0.0.0, ::) becomes the machine's host name. Undefined until bound.
 * @example httpBase(admin) // 'http://127.0.0.1:9901'
 */
export function httpBase(server: Server): string | undefined {
  const a = server.address();
  if (a === null || typeof a !== 'object') return undefined;
  const host = a.address === '0.0.0.0' || a.address === '::' ? hostname() : a.family === 'IPv6' ? `[${a.address}]` : a.address;
  return `http://${host}:${a.port}`;
}
