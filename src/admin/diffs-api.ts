/**
 * The shadow-diff part of the admin API: the report as JSON (same model as the CLI and the HTML
 * page), example pairs, and the mirror pipeline's counters.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { buildReport } from '../compare/report.js';
import { parseDiffFilter } from '../compare/report-filter.js';
import type { DiffStore } from '../storage/types.js';
import { renderDiffsPage } from './diffs-page.js';
import { sendJson } from './server.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** What the diff endpoints read. */
export interface DiffsApiDeps {
  readonly store: DiffStore;
  /** Counters of dispatcher, pipeline and batcher, for `/mirror`. */
  stats(): object;
}

function query(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(new URL(req.url ?? '/', 'http://admin').searchParams);
}

/**
 * Guarded admin routes for shadow diffs.
 * @example createAdminServer({ ..., routes: diffRoutes({ store, stats }) })
 */
export function diffRoutes(deps: DiffsApiDeps): Record<string, Handler> {
  const report = (req: IncomingMessage) => {
    const q = query(req);
    const parsed = parseDiffFilter(q, Date.now());
    if (!parsed.ok) return { error: parsed.error } as const;
    return { report: buildReport(deps.store.rows(parsed.filter), parsed.filter), filter: parsed.filter } as const;
  };
  return {
    'GET /diffs.json': (req, res) => {
      const r = report(req);
      if ('error' in r) return sendJson(res, { error: { code: 'FL_BAD_REQUEST', message: r.error } }, 400);
      sendJson(res, r.report);
    },
    'GET /diffs/examples.json': (req, res) => {
      const q = query(req);
      const parsed = parseDiffFilter(q, Date.now());
      if (!parsed.ok) return sendJson(res, { error: { code: 'FL_BAD_REQUEST', message: parsed.error } }, 400);
      const limit = Math.max(1, Math.min(Math.floor(Number(q.limit)) || 20, 200));
      sendJson(res, { examples: deps.store.examples({ ...parsed.filter, ...(q.field ? { field: q.field } : {}), limit }) });
    },
    'GET /diffs': (req, res) => {
      const r = report(req);
      if ('error' in r) return sendJson(res, { error: { code: 'FL_BAD_REQUEST', message: r.error } }, 400);
      const html = renderDiffsPage(r.report, (f) => deps.store.examples({ ...r.filter, ...f, limit: 3 }));
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(html),
        'cache-control': 'no-store',
      });
      res.end(html);
    },
    'GET /mirror': (_req, res) => sendJson(res, deps.stats()),
  };
}
