/**
 * Graceful drain of the proxy listener: stop accepting, close each keep-alive connection as soon as
 * its last response ends, and at the deadline cut whatever is still open. In-flight requests finish
 * on the snapshot they started with.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { raceDeadline } from '../async/deadline.js';
import type { Logger } from '../telemetry/logger.js';

/** How a drain ended: every connection closed by itself, or the deadline cut the rest. */
export type DrainEnd = 'closed' | 'deadline';

/** The drain of one listener. */
export interface Drain {
  /** Connections open right now. */
  open(): number;
  /**
   * Keeps accepting for `delayMs` (drainDelay: readiness already fails, load balancers are still
   * catching up), then stops accepting and waits up to `deadlineMs` for open connections, then
   * destroys the rest.
   */
  drain(deadlineMs: number, delayMs?: number): Promise<DrainEnd>;
}

/** How often idle connections are swept while draining (ms). */
const SWEEP_MS = 50;

/**
 * Tracks the server's connections from now on (call it before `listen`).
 * @example const d = createDrain(proxy, log); … if ((await d.drain(30_000, 5_000)) === 'deadline') …
 */
export function createDrain(server: Server, log: Logger): Drain {
  const sockets = new Set<Socket>();
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  return {
    open: () => sockets.size,
    async drain(deadlineMs, delayMs = 0) {
      closeAfterResponse(server, sockets);
      if (delayMs > 0) {
        // /readyz answers 503 from now on, but the listener keeps accepting: load balancers and
        // kube-proxy take a few seconds to notice, and connections they still send must not fail.
        log.info({ delayMs }, 'not ready; accepting connections until the drain delay ends');
        await new Promise((r) => setTimeout(r, delayMs));
      }
      log.info({ deadlineMs, open: sockets.size }, 'draining');
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Connections become idle as their last response ends; close each one as soon as it does
      // instead of waiting out the keep-alive timeout.
      const sweep = setInterval(() => server.closeIdleConnections(), SWEEP_MS);
      server.closeIdleConnections();
      const how = await raceDeadline(closed, deadlineMs);
      clearInterval(sweep);
      if (how === 'settled') return 'closed';
      log.warn({ open: sockets.size }, 'drain deadline reached; closing remaining connections');
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      return 'deadline';
    },
  };
}

/** What node:http keeps on a socket: the response being written on it (stable since Node 0.x). */
type HttpSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * From the drain on, every response says `Connection: close` (RFC 9112 §9.6), so a keep-alive client
 * opens a fresh connection for its next request — still accepted during drainDelay, and by then
 * routed elsewhere — instead of reusing one the drain is about to close under it (a request written
 * on a socket at the instant it is closed gets a reset, which no client can retry safely).
 * Responses already in flight are marked too, as long as their headers are not sent.
 */
function closeAfterResponse(server: Server, sockets: ReadonlySet<Socket>): void {
  for (const s of sockets) {
    const res = (s as HttpSocket)._httpMessage;
    if (res && !res.headersSent) res.shouldKeepAlive = false;
  }
  // Prepended: it must run before the request handler can write headers synchronously.
  server.prependListener('request', (_req: IncomingMessage, res: ServerResponse) => {
    res.shouldKeepAlive = false;
  });
}
