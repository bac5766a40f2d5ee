/** Free loopback ports for processes we can't ask to bind port 0 (Fieldlab reads its ports from YAML). */
import net from 'node:net';

/**
 * Binds 127.0.0.1:0, notes the port and closes. Racy in principle (another process could grab it before
 * Fieldlab binds), harmless on a bench machine.
 *
 * @example
 * const port = await freePort();
 */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('no port assigned'))));
    });
  });
}
