/**
 * The shadow-diff part of the admin API: the report as JSON (same model as the CLI and the HTML
 * page), example pairs, and the mirror pipeline's counters. Every report is one bounded page
 * (`?offset=&limit=&fields=`), built by the store off the proxy's loop; a page fetches all its data
 * first, then renders.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseDiffFilter, parseReportPage } from '../compare/report-filter.js';
import { FL_ADMIN_BAD_REQUEST } from '../errors.js';
import { sendLocalReply } from '../net/local-reply.js';
import { storeErrorDef } from '../storage/store-error.js';
import type { DiffStore, ReportQuery } from '../storage/types.js';
import { loadPageExamples, renderDiffsPage } from './diffs-page.js';
import { sendJson } from './server.js';

type Handler = (req: IncomingMessage, res: ServerResponse) => Promise<void>;

/** What the diff endpoints read. */
export interface DiffsApiDeps {
  readonly store: DiffStore;
  /** Counters of dispatcher, pipeline and batcher, for `/mirror`. */
  stats(): object;
  /** The live admin.traceUrl (read per page, so a reload applies), when set. */
  traceUrl?(): string | undefined;
}

function query(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(new URL(req.url ?? '/', 'http://admin').searchParams);
}

/** Filter and page from the query string, or the 400 to answer. */
function reportQuery(q: Record<string, string>): { ok: true; query: ReportQuery } | { ok: false; error: string } {
  const filter = parseDiffFilter(q, Date.now());
  if (!filter.ok) return filter;
  const page = parseReportPage(q);
  if (!page.ok) return page;
  return { ok: true, query: { filter: filter.filter, page: page.page } };
}

/** Runs a handler's store work; a store failure answers 503 with its code instead of a generic 500. */
function guarded(fn: (q: Record<string, string>, res: ServerResponse) => Promise<void>): Handler {
  return async (req, res) => {
    try {
      await fn(query(req), res);
    } catch (err) {
      sendLocalReply(res, storeErrorDef(err), undefined, err instanceof Error ? err.message : String(err));
    }
  };
}

/**
 * Guarded admin routes for shadow diffs.
 * @example createAdminServer({ ..., routes: diffRoutes({ store, stats }) })
 */
export function diffRoutes(deps: DiffsApiDeps): Record<string, Handler | ((req: IncomingMessage, res: ServerResponse) => void)> {
  return {
    'GET /diffs.json': guarded(async (q, res) => {
      const r = reportQuery(q);
      if (!r.ok) return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, r.error);
      sendJson(res, await deps.store.report(r.query));
    }),
    'GET /diffs/examples.json': guarded(async (q, res) => {
      const parsed = parseDiffFilter(q, Date.now());
      if (!parsed.ok) return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, parsed.error);
      const limit = Math.max(1, Math.min(Math.floor(Number(q.limit)) || 20, 200));
      sendJson(res, { examples: await deps.store.examples({ ...parsed.filter, ...(q.field ? { field: q.field } : {}), limit }) });
    }),
    'GET /diffs': guarded(async (q, res) => {
      const r = reportQuery(q);
      if (!r.ok) return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, r.error);
      const report = await deps.store.report(r.query);
      const examples = await loadPageExamples(report, (f) => deps.store.examples({ ...r.query.filter, ...f, limit: 3 }));
      const html = renderDiffsPage(report, examples, deps.traceUrl?.());
      res.writeHead(200, {
        'content-type': 'text/html; charset=utf-8',
        'content-length': Buffer.byteLength(html),
        'cache-control': 'no-store',
      });
      res.end(html);
    }),
    'GET /mirror': (_req, res) => sendJson(res, deps.stats()),
  };
}
