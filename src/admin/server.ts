/**
 * The admin listener: health and readiness for orchestrators, read views of the live config,
 * routes and reports, and the mutating actions. Loopback by default; when it listens anywhere else
 * a token is mandatory (the schema refuses the config otherwise). Reads and writes take separate
 * tokens (auth.ts); probes and the login form stay open so kubelets and browsers need no secret.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { ConfigManager } from '../config/manager.js';
import type { Logger } from '../telemetry/logger.js';
import { FL_ADMIN_CROSS_SITE, FL_ADMIN_FORBIDDEN, FL_ADMIN_NOT_FOUND, FL_ADMIN_UNAUTHORIZED, FL_INTERNAL } from '../errors.js';
import { accessOf, requiredLevel, tokensConfigured } from './auth.js';
import { crossSiteReason } from './cross-site.js';
import { loginRoutes } from './login.js';
import { sendLocalReply } from '../net/local-reply.js';
import { redact } from './redact.js';
import { jsonReplacer } from '../net/json-safe.js';
import { armBuckets } from '../routing/assign.js';
import { forceCounts } from '../routing/force-stats.js';
import { isLoopback, stripV4Mapped } from '../net/ip.js';

/** What the admin API reads from the running app. */
export interface AdminDeps {
  readonly config: ConfigManager;
  /** True once listeners are up and until shutdown starts. */
  ready(): boolean;
  /** What works only partly (e.g. guardrail state not being stored); /readyz reports it. */
  degraded?(): string[];
  readonly startedAt: Date;
  /** More guarded routes (e.g. the shadow-diff API), keyed `METHOD /path`. */
  readonly routes?: Readonly<Record<string, Handler>>;
  /** Where a failing handler is reported (once per failure, with its route). */
  readonly log: Pick<Logger, 'error'>;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Sends a JSON body with status 200 (or `status`); every number is rounded once, here (net/json-safe.ts). */
export function sendJson(res: ServerResponse, body: unknown, status = 200): void {
  const text = `${JSON.stringify(body, jsonReplacer, 2)}\n`;
  res.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
    'cache-control': 'no-store',
  });
  res.end(text);
}

/**
 * True when the listener is bound beyond loopback. Checked against the bound address, not the
 * config: a reload can drop the token from the file, but `admin.listen` only changes on restart.
 */
function exposed(server: Server): boolean {
  const a = boundAddress(server);
  return a !== undefined && !isLoopback(stripV4Mapped(a));
}

function boundAddress(server: Server): string | undefined {
  const a = server.address();
  return a !== null && typeof a === 'object' ? a.address : undefined;
}

/**
 * Creates (but does not start) the admin server.
 * @example createAdminServer({ config, ready: () => true, startedAt: new Date() }).listen(9901)
 */
export function createAdminServer(deps: AdminDeps): Server {
  const open: Record<string, Handler> = {
    'GET /healthz': (_q, res) => sendJson(res, { status: 'ok' }),
    'GET /readyz': (q, res) => {
      if (!deps.ready()) return sendJson(res, { status: 'not ready' }, 503);
      // Degraded still serves (a storage problem must not pull the proxy out of rotation), unless the
      // probe asks `?strict=1`.
      const degraded = deps.degraded?.() ?? [];
      if (degraded.length === 0) return sendJson(res, { status: 'ready' });
      sendJson(res, { status: 'degraded', degraded }, /[?&]strict=(1|true)\b/.test(q.url ?? '') ? 503 : 200);
    },
    ...loginRoutes(() => deps.config.current().config.admin),
  };
  const guarded: Record<string, Handler> = {
    'GET /config': (_q, res) => {
      const snap = deps.config.current();
      sendJson(res, {
        version: snap.version,
        file: snap.file,
        digest: snap.digest,
        loadedAt: snap.loadedAt,
        startedAt: deps.startedAt,
        lastReload: deps.config.lastReload() ?? null,
        config: redact(snap.config),
      });
    },
    'GET /routes': (req, res) => {
      // The seed makes assignment unguessable: only a caller holding a write credential (admin.token or
      // admin.writeToken as a bearer) sees it — not the read token, a login cookie, or anyone when no
      // token is configured (loopback is then open to every local process).
      const creds = deps.config.current().config.admin;
      const showSeed = tokensConfigured(creds) && accessOf(req, creds, exposed(server)) === 'write';
      sendJson(res, { version: deps.config.current().version, routes: describeRoutes(deps.config, showSeed) });
    },
    'POST /reload': async (_q, res) => {
      const result = await deps.config.reload('admin');
      sendJson(res, result, result.ok ? 200 : 422);
    },
    ...deps.routes,
  };
  const server = createServer((req, res) => {
    const key = `${req.method} ${(req.url ?? '/').split('?')[0]}`;
    // `METHOD /prefix/*` entries take every path under the prefix (e.g. POST /routes/NAME/ACTION).
    const handler =
      open[key] ?? guarded[key] ?? guarded[Object.keys(guarded).find((k) => k.endsWith('/*') && key.startsWith(k.slice(0, -1))) ?? ''];
    if (!handler) return sendLocalReply(res, FL_ADMIN_NOT_FOUND, undefined);
    if (!open[key] || req.method === 'POST') {
      // Before credentials: a forged browser request is refused whatever it carries (cross-site.ts).
      const forged = crossSiteReason(req, !tokensConfigured(deps.config.current().config.admin), boundAddress(server));
      if (forged !== undefined) return sendLocalReply(res, FL_ADMIN_CROSS_SITE, undefined, `refused: ${forged}`);
    }
    if (!open[key]) {
      const has = accessOf(req, deps.config.current().config.admin, exposed(server));
      const needs = requiredLevel(req.method);
      if (has === 'none' && needs === 'read' && /\btext\/html\b/.test(req.headers.accept ?? '')) {
        // A browser without a session: send it to the login form, then back here.
        res.writeHead(303, { location: `/login?next=${encodeURIComponent(req.url ?? '/')}`, 'content-length': 0 });
        return res.end();
      }
      if (has === 'none') return sendLocalReply(res, FL_ADMIN_UNAUTHORIZED, undefined);
      if (needs === 'write' && has !== 'write') return sendLocalReply(res, FL_ADMIN_FORBIDDEN, undefined);
    }
    // A handler that throws (synchronously or not) costs one 500, never the process, and is logged
    // once with its route so the failure is not silent.
    new Promise<void>((resolve) => resolve(handler(req, res))).catch((err: unknown) => {
      deps.log.error({ err, route: key, code: FL_INTERNAL.code }, 'admin handler failed');
      sendLocalReply(res, FL_INTERNAL, undefined);
    });
  });
  return server;
}

function describeRoutes(config: ConfigManager, showSeed: boolean): unknown[] {
  const snap = config.current();
  return snap.routes.map((route, i) => {
    const raw = snap.config.routes[i]!;
    return {
      name: route.name,
      match: raw.match,
      sticky: raw.sticky,
      // Never in /config; here only for write credentials (see GET /routes).
      seed: showSeed ? route.seed : '***',
      seedSource: raw.seed === undefined ? 'store' : 'config',
      // The locks, never the secret; `counts`: overrides followed and refused (by reason) since start.
      force: route.force
        ? {
            from: route.force.from,
            allowFrom: route.force.allowFrom ?? null,
            signed: route.force.signed,
            allowRolledBack: route.force.allowRolledBack,
            counts: forceCounts(route.name),
          }
        : null,
      weightsFrom: route.weights.source,
      arms: route.arms.map((arm, index) => ({
        name: arm.name,
        configured: arm.percent,
        percent: index === 0 ? 100 - route.weights.percents.reduce((a, b) => a + b, 0) : route.weights.percents[index - 1],
        // [start, end) pairs; control owns the gaps between the variants' ranges.
        buckets: armBuckets(route.weights.ranges, index),
        upstream: arm.upstream.name,
        endpoints: arm.upstream.endpoints.map((ep) => ({ origin: redact(ep.origin), ejected: ep.ejectedUntil > Date.now() })),
      })),
    };
  });
}
