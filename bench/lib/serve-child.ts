/** Shared boot for the bench's child servers: listen on an ephemeral loopback port and announce it. */
import type { Server } from 'node:http';

/**
 * Listens on 127.0.0.1:0, prints `PORT <n>` as the first stdout line (the parent waits for it), and exits
 * when the parent goes away: stdin is a pipe from the parent, so its end means the parent died, even by
 * SIGKILL, and no orphan keeps a core busy.
 *
 * @example
 * serveChild(http.createServer(handler));
 */
export function serveChild(server: Server): void {
  // Long enough that pooled upstream connections survive the pauses between warmup and measurement.
  server.keepAliveTimeout = 65_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('expected a TCP address');
    process.stdout.write(`PORT ${address.port}\n`);
  });
  const quit = (): void => process.exit(0);
  process.stdin.on('end', quit).on('close', quit).resume();
  process.on('SIGTERM', quit).on('SIGINT', quit);
}
