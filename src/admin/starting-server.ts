/**
 * What the admin (and `metrics.listen`) address answers while the process waits for its PostgreSQL
 * store at startup: /healthz 200 (alive: don't restart it, the database is what's missing),
 * /readyz 503 with FL_STORE_UNREACHABLE (send it no traffic), /metrics with the wait's gauges, and
 * 503 FL_STORE_UNREACHABLE for everything else. Bodies carry no store URL: an exposed admin listener
 * has no token check yet, so the URL (redacted) goes only to the log.
 */
import { createServer, type Server } from 'node:http';
import { FL_STORE_UNREACHABLE } from '../errors.js';
import { sendLocalReply } from '../net/local-reply.js';
import { openWhenReachable } from '../storage/postgres/reachable.js';
import { parsePostgresUrl } from '../storage/postgres/url.js';
import type { Logger } from '../telemetry/logger.js';
import { PROM_CONTENT_TYPE, header, sampleLine } from '../telemetry/prom-text.js';
import { sendJson } from './server.js';

/** The wait as the probes see it. */
export interface StartingState {
  /** Failed connection attempts so far. */
  readonly failures: number;
  /** Epoch ms the wait began. */
  readonly since: number;
}

/**
 * A server for the starting phase (created, not listening).
 * @example const s = createStartingServer(() => ({ failures, since })); s.listen(9901)
 */
export function createStartingServer(state: () => StartingState): Server {
  return createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    const s = state();
    if (req.method === 'GET' && path === '/healthz') return sendJson(res, { status: 'ok', starting: true });
    if (req.method === 'GET' && path === '/readyz')
      return sendJson(
        res,
        { status: 'not ready', reason: 'store unreachable', code: FL_STORE_UNREACHABLE.code, failures: s.failures },
        503,
      );
    if (req.method === 'GET' && path === '/metrics') {
      const text =
        header('fieldlab_store_reachable', 'Whether the store could be opened (0 while startup waits for PostgreSQL)', 'gauge') +
        sampleLine('fieldlab_store_reachable', '', 0) +
        header('fieldlab_store_connect_failures_total', 'Failed attempts to reach the store at startup', 'counter') +
        sampleLine('fieldlab_store_connect_failures_total', '', s.failures) +
        header('fieldlab_store_waiting_seconds', 'How long startup has waited for the store', 'gauge') +
        sampleLine('fieldlab_store_waiting_seconds', '', Math.round((Date.now() - s.since) / 1000));
      res.writeHead(200, { 'content-type': PROM_CONTENT_TYPE, 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
      return res.end(text);
    }
    sendLocalReply(res, FL_STORE_UNREACHABLE, undefined);
  });
}

/** Retries at the backoff cap are logged every this many attempts (about every 30 s). */
const LOG_EVERY_AT_CAP = 6;

/**
 * Opens a PostgreSQL store, waiting while the database is unreachable (see reachable.ts); during the
 * wait `listens` (the admin and metrics addresses) answer as the starting server, and a log line
 * with the redacted URL and FL_STORE_UNREACHABLE names every retry (every ~30 s once at the cap).
 * Rejects at once on an error a retry cannot fix. Other store URLs are opened directly.
 * @example const stores = await waitForStore(cfg.store.url, () => openStore(cfg.store.url), { listens: [cfg.admin.listen], log })
 */
export async function waitForStore<T>(
  url: string,
  open: () => Promise<T>,
  deps: { listens: readonly { host: string; port: number }[]; log: Pick<Logger, 'error' | 'warn' | 'info'>; firstDelayMs?: number },
): Promise<T> {
  const target = parsePostgresUrl(url);
  if ('error' in target) return open();
  const since = Date.now();
  let failures = 0;
  let servers: Server[] | undefined;
  const startServers = () =>
    deps.listens.map((l) => {
      const s = createStartingServer(() => ({ failures, since }));
      // A taken port is reported by the real listener once the store is open; the wait goes on.
      s.once('error', (err) => deps.log.warn({ err, listen: `${l.host}:${l.port}` }, 'starting probe server could not listen'));
      s.listen(l.port, l.host);
      return s;
    });
  try {
    const out = await openWhenReachable(open, {
      ...(deps.firstDelayMs !== undefined ? { firstDelayMs: deps.firstDelayMs } : {}),
      onRetry: ({ attempt, retryInMs, err }) => {
        failures = attempt;
        servers ??= startServers();
        if (attempt <= 4 || attempt % LOG_EVERY_AT_CAP === 0)
          deps.log.error(
            { code: FL_STORE_UNREACHABLE.code, store: target.display, attempt, retryInMs, err: (err as Error).message ?? String(err) },
            'store unreachable: not ready, serving no traffic; retrying',
          );
      },
    });
    if (failures > 0) deps.log.info({ store: target.display, failures, waitedMs: Date.now() - since }, 'store reachable: starting');
    return out;
  } finally {
    if (servers)
      await Promise.all(
        servers.map(
          (s) =>
            new Promise<void>((resolve) => {
              s.close(() => resolve());
              s.closeAllConnections();
            }),
        ),
      );
  }
}
