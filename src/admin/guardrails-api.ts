/**
 * Guardrails over the admin API: live status of every guarded route (with what each step waits for
 * and the persistence health), the decision log, and manual controls
 * (`POST /routes/NAME/rollback|pause|resume|promote|reset`, with `?arm=`, `?force=1`, `?reason=`, and
 * the actor from `x-fieldlab-actor`). JSON uses ISO timestamps and rounded numbers throughout.
 */
import type { BanditStatus } from '../experiments/bandit.js';
import type { RampStatus } from '../faults/ramp-runtime.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { parseTimeBound } from '../compare/report-filter.js';
import { FL_ADMIN_BAD_REQUEST, FL_FORCE_REQUIRED, FL_INTERNAL, FL_NO_CHANGE, FL_NO_GUARDRAILS, FL_ROUTE_NOT_FOUND } from '../errors.js';
import { liftManual, type GuardrailsRuntime } from '../guardrails/runtime.js';
import { toJsonSafe } from '../net/json-safe.js';
import type { ManualAction } from '../guardrails/types.js';
import { sendLocalReply } from '../net/local-reply.js';
import type { DecisionRecord, GuardrailStore } from '../storage/guardrail-types.js';
import { raceDeadline, SHUTDOWN_GRACE_MS } from '../async/deadline.js';
import { sendJson } from './server.js';

const ACTIONS: readonly ManualAction[] = ['rollback', 'pause', 'resume', 'promote', 'reset'];

function query(req: IncomingMessage): Record<string, string> {
  return Object.fromEntries(new URL(req.url ?? '/', 'http://admin').searchParams);
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

/** Runs an async handler; a failure becomes a 500 reply instead of an unhandled rejection. */
const guarded =
  (fn: (req: IncomingMessage, res: ServerResponse) => Promise<void>): Handler =>
  (req, res) => {
    fn(req, res).catch(() => {
      if (!res.headersSent) sendLocalReply(res, FL_INTERNAL, undefined, 'guardrails request failed');
    });
  };

/**
 * Guarded admin routes for guardrails.
 * @example createAdminServer({ ..., routes: guardrailRoutes(runtime, stores.guardrails) })
 */
export function guardrailRoutes(
  runtime: GuardrailsRuntime,
  store: Pick<GuardrailStore, 'decisions'>,
  bandits: (route?: string) => readonly BanditStatus[] = () => [],
  ramps: (route?: string) => readonly RampStatus[] = () => [],
): Record<string, Handler> {
  // Works with a synchronous store and with an asynchronous one.
  const decisions = async (f: Parameters<GuardrailStore['decisions']>[0]): Promise<DecisionRecord[]> =>
    (await store.decisions(f)).map(liftManual);
  return {
    'GET /status': guarded(async (req, res) => {
      const route = query(req).route;
      const names = runtime.routeNames();
      if (route !== undefined && !names.all.includes(route))
        return sendLocalReply(res, FL_ROUTE_NOT_FOUND, undefined, `no route "${route}" in the running config`);
      // A failing store must not hide the live state (or its own failure) from /status.
      let recent: DecisionRecord[] = [];
      let decisionsError: string | undefined;
      try {
        recent = await decisions({ ...(route ? { route } : {}), limit: 20 });
      } catch (err) {
        decisionsError = err instanceof Error ? err.message : String(err);
      }
      sendJson(
        res,
        toJsonSafe({
          routes: runtime.status(route),
          unguarded: names.all.filter((n) => !names.guarded.includes(n) && (route === undefined || n === route)),
          bandits: bandits(route),
          ramps: ramps(route),
          persistence: { ...runtime.health(), ...(decisionsError ? { readError: decisionsError } : {}) },
          decisions: recent,
        }),
      );
    }),
    'GET /decisions.json': guarded(async (req, res) => {
      const q = query(req);
      const since = q.since ? parseTimeBound(q.since, Date.now()) : undefined;
      if (q.since && since === undefined) return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, `invalid since "${q.since}"`);
      const limit = q.limit === undefined ? 100 : Math.floor(Number(q.limit));
      if (!(limit >= 1)) return sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, `invalid limit "${q.limit}" (a whole number ≥ 1)`);
      const rows = await decisions({ ...(q.route ? { route: q.route } : {}), ...(since !== undefined ? { since } : {}), limit });
      sendJson(res, toJsonSafe({ decisions: rows }));
    }),
    'POST /routes/*': async (req, res) => {
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
      const actor = String(req.headers['x-fieldlab-actor'] ?? q.actor ?? 'admin-api').slice(0, 100);
      const note = String(req.headers['x-fieldlab-reason'] ?? q.reason ?? '').slice(0, 500) || undefined;
      const force = q.force === '1' || q.force === 'true';
      const result = runtime.manual(name, action as ManualAction, { ...(q.arm ? { arm: q.arm } : {}), actor, note, force });
      if (result.ok) {
        if (result.decisions.length === 0 && result.refused.length > 0) {
          const breaching = result.refused.some((r) => r.why === 'breaching');
          return sendLocalReply(res, breaching ? FL_FORCE_REQUIRED : FL_NO_CHANGE, undefined, result.refused.map((r) => r.says).join('; '));
        }
        // Answer once the decision is stored (bounded: a failing store is retried in the background and
        // shows as degraded persistence), so a `status` right after the action already lists it.
        const stored = (await raceDeadline(runtime.idle(), SHUTDOWN_GRACE_MS)) === 'settled' && !runtime.health().degraded;
        return sendJson(
          res,
          toJsonSafe({
            route: name,
            action,
            stored,
            decisions: result.decisions,
            refused: result.refused,
            status: runtime.status(name)[0] ?? null,
          }),
        );
      }
      if (result.error === 'unknown-route')
        return sendLocalReply(res, FL_ROUTE_NOT_FOUND, undefined, `no route "${name}" in the running config`);
      if (result.error === 'no-guardrails')
        return sendLocalReply(res, FL_NO_GUARDRAILS, undefined, `route "${name}" has no guardrails or rollout`);
      sendLocalReply(res, FL_ADMIN_BAD_REQUEST, undefined, `route "${name}" has no variant "${q.arm}"`);
    },
  };
}
