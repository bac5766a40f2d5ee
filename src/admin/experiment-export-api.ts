/**
 * `GET /experiments/ROUTE/export?by=unit|minute&format=csv|jsonl&since=` — an experiment's per-unit
 * or per-minute data for a warehouse, streamed: each store page (experiments/export.ts) is written
 * before the next is read, waiting for `drain` when the client reads slowly, so nothing buffers
 * without bound and a client that goes away stops the reads. At most two exports run at once (each
 * keeps the store busy a page at a time); a failure after the first byte cuts the connection, so a
 * truncated file never looks complete.
 */
import { once } from 'node:events';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Snapshot } from '../config/compile.js';
import { parseTimeBound } from '../compare/report-filter.js';
import { FL_ADMIN_BAD_REQUEST, FL_ADMIN_NOT_FOUND, FL_NO_EXPERIMENT, FL_ROUTE_NOT_FOUND, FL_STORE_BUSY } from '../errors.js';
import { exportChunks, type ExportBy, type ExportFormat } from '../experiments/export.js';
import { experimentsOf } from '../experiments/spec.js';
import { sendLocalReply } from '../net/local-reply.js';
import type { ExperimentStore } from '../storage/experiment-types.js';
import { storeErrorDef } from '../storage/store-error.js';
import type { Logger } from '../telemetry/logger.js';

/** Exports running at once at most. */
export const MAX_EXPORTS = 2;

const TYPES: Record<ExportFormat, string> = {
  csv: 'text/csv; charset=utf-8; header=present',
  jsonl: 'application/x-ndjson; charset=utf-8',
};

/**
 * The admin route (`GET /experiments/*`).
 * @example createAdminServer({ ..., routes: exportRoutes({ store: stores.experiments, current: config.current, log }) })
 */
export function exportRoutes(deps: {
  readonly store: Pick<ExperimentStore, 'exportUnits' | 'exportMinutes'>;
  readonly current: () => Snapshot;
  readonly log: Pick<Logger, 'warn'>;
}): Record<string, (req: IncomingMessage, res: ServerResponse) => Promise<void>> {
  let running = 0;
  return {
    'GET /experiments/*': async (req, res) => {
      const url = new URL(req.url ?? '/', 'http://admin');
      const m = /^\/experiments\/([^/]+)\/export$/.exec(url.pathname);
      if (!m) return sendLocalReply(res, FL_ADMIN_NOT_FOUND, undefined);
      const route = safeDecode(m[1]!);
      const by = url.searchParams.get('by') ?? 'unit';
      const format = url.searchParams.get('format') ?? 'csv';
      const sinceText = url.searchParams.get('since');
      const since = sinceText ? parseTimeBound(sinceText, Date.now()) : 0;
      if ((by !== 'unit' && by !== 'minute') || (format !== 'csv' && format !== 'jsonl') || since === undefined) {
        const detail = 'use by=unit|minute, format=csv|jsonl, since= an age like 24h, an ISO date or epoch ms';
        return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, detail);
      }
      const snap = deps.current();
      if (!snap.routes.some((r) => r.name === route))
        return sendLocalReply(res, FL_ROUTE_NOT_FOUND, undefined, `no route "${route}" in the running config`);
      const spec = experimentsOf(snap).byRoute.get(route);
      if (!spec) return sendLocalReply(res, FL_NO_EXPERIMENT, undefined, `route "${route}" has no experiment:`);
      if (running >= MAX_EXPORTS) return sendLocalReply(res, FL_STORE_BUSY, undefined, `${MAX_EXPORTS} exports are running; try again`);
      running++;
      let gone = false;
      res.once('close', () => {
        gone = true;
      });
      const start = () => {
        if (res.headersSent) return;
        res.writeHead(200, {
          'content-type': TYPES[format as ExportFormat],
          'content-disposition': `attachment; filename="${route}-${by}.${format}"`,
          'cache-control': 'no-store',
        });
      };
      try {
        for await (const chunk of exportChunks(deps.store, spec, { by: by as ExportBy, format: format as ExportFormat, since })) {
          if (gone) break;
          start();
          if (!res.write(chunk)) await Promise.race([once(res, 'drain'), once(res, 'close')]);
        }
        if (!gone) {
          start();
          res.end();
        }
      } catch (err) {
        deps.log.warn({ err, route }, 'experiment export failed');
        // Before the first byte: a coded error; after it: the connection is cut (sendLocalReply).
        sendLocalReply(res, storeErrorDef(err), undefined, err instanceof Error ? err.message : String(err));
      } finally {
        running--;
      }
    },
  };
}

/** A path segment decoded, or itself when it is not valid percent-encoding (then no route has that name). */
function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}
