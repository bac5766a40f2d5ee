/**
 * Guardrails over the admin API: live status of every guarded route, the decision log, and manual
 * controls (`POST /routes/NAME/rollback|pause|resume|promote|reset`, optionally `?arm=`).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseTimeBound } from '../compare/report-filter.js';
import { FL_ADMIN_BAD_REQUEST, FL_NO_GUARDRAILS, FL_ROUTE_NOT_FOUND } from '../errors.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import type { ManualAction } from '../guardrails/types.js';
import { sendLocalReply } from '../net/local-reply.js';
import type { GuardrailStore } from '../storage/guardrail-types.js';
import { sendJson } from './server.js';

const ACTIONS: readonly ManualAction[] = ['rollback', 'pause', 'resume', 'promote', 'reset'];

function query(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(new URL(req.url ?? '/', 'http://admin').searchParams);
}

/**
 * Guarded admin routes for guardrails.
 * @example createAdminServer({ ..., routes: guardrailRoutes(runtime, stores.guardrails) })
 */
export function guardrailRoutes(
  runtime: GuardrailsRuntime,
  store: Pick<GuardrailStore, 'decisions'>,
): Record<string, (req: IncomingMessage, res: ServerResponse) => void | Promise<void>> {
  return {
    'GET /status': async (req, res) => {
      const route = query(req).route;
      const decisions = await store.decisions({ ...(route ? { route } : {}), limit: 20 });
      sendJson(res, { routes: runtime.status(route), decisions });
    },
    'GET /decisions.json': async (req, res) => {
      const q = query(req);
      const since = q.since ? parseTimeBound(q.since, Date.now()) : undefined;
      if (q.since && since === undefined) return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, `invalid since "${q.since}"`);
      const limit = q.limit === undefined ? 100 : Math.floor(Number(q.limit));
      if (!(limit >= 1)) return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, `invalid limit "${q.limit}" (a whole number ≥ 1)`);
      sendJson(res, {
        decisions: await store.decisions({ ...(q.route ? { route: q.route } : {}), ...(since !== undefined ? { since } : {}), limit }),
      });
    },
    'POST /routes/*': (req, res) => {
      let name: string | undefined;
      let action: string | undefined;
      try {
        [, , name, action] = (req.url ?? '').split('?')[0]!.split('/').map(decodeURIComponent);
      } catch {
        return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, 'route name is not valid percent-encoding');
      }
      if (!name || !ACTIONS.includes(action as ManualAction)) {
        return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, `use POST /routes/NAME/{${ACTIONS.join('|')}}`);
      }
      const q = query(req);
      const actor = String(req.headers['x-fieldlab-actor'] ?? 'admin-api').slice(0, 100);
      const result = runtime.manual(name, action as ManualAction, { ...(q.arm ? { arm: q.arm } : {}), actor });
      if (result.ok) return sendJson(res, { route: name, action, decisions: result.decisions, status: runtime.status(name)[0] ?? null });
      if (result.error === 'unknown-route')
        return sendLocalReply(res, FL_ROUTE_NOT_FOUND, undefined, `no route "${name}" in the running config`);
      if (result.error === 'no-guardrails')
        return sendLocalReply(res, FL_NO_GUARDRAILS, undefined, `route "${name}" has no guardrails or rollout`);
      sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, `route "${name}" has no arm "${q.arm}"`);
    },
  };
}
