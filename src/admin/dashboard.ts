/**
 * The live release-health dashboard on the admin listener: `GET /` (overview of routes) and
 * `GET /?route=NAME` (one route: live charts, evidence, experiment, actions), its two same-origin
 * assets, the event stream and the live series as JSON. Reads like every other admin read (token or
 * login cookie); the actions it offers are the ordinary `POST /routes/NAME/ACTION` calls, sent by the
 * page with the write token as a bearer header.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ConfigManager } from '../config/manager.js';
import { FL_ROUTE_NOT_FOUND } from '../errors.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import { sendLocalReply } from '../net/local-reply.js';
import type { GuardrailStore } from '../storage/guardrail-types.js';
import type { ExemplarKeeper } from '../telemetry/exemplars.js';
import type { LiveSeries } from '../telemetry/live-series.js';
import { tokensConfigured } from './auth.js';
import { createEventHub, type EventHub } from './dashboard-events.js';
import { buildModel } from './dashboard-model.js';
import { rampSection } from './dashboard-ramp.js';
import type { RampStatus } from '../faults/ramp-runtime.js';
import { renderDashboard } from './dashboard-page.js';
import { readAsset } from './diffs-page-assets.js';
import { sendJson } from './server.js';

/** What the dashboard reads. */
export interface DashboardDeps {
  readonly config: ConfigManager;
  readonly guardrails: GuardrailsRuntime;
  readonly store: Pick<GuardrailStore, 'decisions'>;
  readonly live: LiveSeries;
  /** Shadow copies dropped so far, for the shadow-drops alarm. */
  readonly shadowDrops?: () => number;
  /** Trace exemplars per route × arm (in the model, so the page and the event stream carry them). */
  readonly exemplars?: Pick<ExemplarKeeper, 'read'>;
  /** The fault ramps (`fault.ramp`), shown on their route's page. */
  readonly ramps?: (route?: string) => readonly RampStatus[];
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

interface Asset {
  readonly body: Buffer;
  readonly type: string;
  readonly url: string;
}

// uPlot (MIT) is vendored byte for byte from npm `uplot` (see README "Dashboard"); its notice travels with it.
const UPLOT_NOTICE = `/*! uPlot v1.6.32 — Copyright (c) 2022 Leon Sorokin — MIT license (src/admin/assets/dashboard.uplot.LICENSE) */\n`;

function bundle(name: string, type: string, parts: readonly string[]): Asset {
  const body = Buffer.from(parts.join('\n'));
  const v = createHash('sha256').update(body).digest('hex').slice(0, 12);
  return { body, type, url: `/dashboard/${name}?v=${v}` };
}

let assets: { js: Asset; css: Asset } | undefined;

/** Read on first use (not at import): a process that never serves the dashboard never reads them. */
function dashboardAssets(): { js: Asset; css: Asset } {
  assets ??= {
    js: bundle('dashboard.js', 'text/javascript; charset=utf-8', [
      UPLOT_NOTICE + readAsset('dashboard.uplot.js'),
      readAsset('dashboard-profile.js'),
      readAsset('dashboard.js'),
    ]),
    css: bundle('dashboard.css', 'text/css; charset=utf-8', [readAsset('dashboard.uplot.css'), readAsset('dashboard.css')]),
  };
  return assets;
}

function serveAsset(pick: 'js' | 'css'): Handler {
  return (_req, res) => {
    const a = dashboardAssets()[pick];
    // The URL carries the content hash, so a browser may keep it until the next deploy changes it.
    res.writeHead(200, {
      'content-type': a.type,
      'content-length': a.body.length,
      'cache-control': 'private, max-age=31536000, immutable',
    });
    res.end(a.body);
  };
}

const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/**
 * Guarded admin routes of the dashboard, and its event hub (closed with the admin listener).
 * @example const d = dashboardRoutes({ config, guardrails, store, live }); createAdminServer({ …, routes: { ...d.routes } })
 */
export function dashboardRoutes(deps: DashboardDeps): { routes: Record<string, Handler>; hub: EventHub } {
  const model = (recent: Parameters<typeof buildModel>[1], now: number) =>
    buildModel(
      {
        config: deps.config,
        guardrails: deps.guardrails,
        ...(deps.shadowDrops ? { shadowDrops: deps.shadowDrops } : {}),
        ...(deps.exemplars ? { exemplars: (route: string, at: number) => deps.exemplars!.read(route, at) } : {}),
      },
      recent,
      now,
    );
  const hub = createEventHub({ live: deps.live, model, decisions: (limit) => deps.store.decisions({ limit }) });
  const routeParam = (req: IncomingMessage) => new URL(req.url ?? '/', 'http://admin').searchParams.get('route') ?? undefined;
  const known = (route: string) => deps.config.current().routes.some((r) => r.name === route);

  return {
    hub,
    routes: {
      'GET /': async (req, res) => {
        const route = routeParam(req);
        if (route !== undefined && !known(route))
          return sendLocalReply(res, FL_ROUTE_NOT_FOUND, undefined, `no route "${route}" in the running config`);
        // A failing store must not take the page down: the decisions are simply missing until it answers.
        const recent = await Promise.resolve(deps.store.decisions({ limit: 100 })).catch(() => []);
        const a = dashboardAssets();
        const body = renderDashboard(model(recent, Date.now()), {
          route,
          needsToken: tokensConfigured(deps.config.current().config.admin),
          assets: { js: a.js.url, css: a.css.url },
          ramp: route === undefined ? null : rampSection(deps.ramps?.(route)[0]),
        });
        res.writeHead(200, {
          'content-type': 'text/html; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'cache-control': 'no-store',
          'content-security-policy': CSP,
          'x-frame-options': 'DENY',
          'referrer-policy': 'same-origin',
        });
        res.end(body);
      },
      'GET /dashboard/dashboard.js': serveAsset('js'),
      'GET /dashboard/dashboard.css': serveAsset('css'),
      'GET /dashboard/events': (req, res) => hub.handle(req, res),
      'GET /dashboard/live.json': (req, res) => {
        const route = routeParam(req);
        if (route === undefined || !known(route))
          return sendLocalReply(res, FL_ROUTE_NOT_FOUND, undefined, `no route "${route ?? ''}" in the running config`);
        const since = Number(new URL(req.url ?? '/', 'http://admin').searchParams.get('since'));
        sendJson(res, deps.live.read(route, Number.isFinite(since) && since > 0 ? since : undefined));
      },
      // The route's model as JSON (what the page and the event stream draw): arms, variants, exemplars.
      'GET /dashboard/route.json': async (req, res) => {
        const route = routeParam(req);
        if (route === undefined || !known(route))
          return sendLocalReply(res, FL_ROUTE_NOT_FOUND, undefined, `no route "${route ?? ''}" in the running config`);
        const recent = await Promise.resolve(deps.store.decisions({ limit: 100 })).catch(() => []);
        sendJson(
          res,
          model(recent, Date.now()).routes.find((r) => r.name === route),
        );
      },
    },
  };
}
