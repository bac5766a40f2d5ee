/**
 * The dashboard's HTML: the overview at admin `GET /` and one route at `GET /?route=NAME`. The server
 * writes the page's frame with the `html` template (every interpolation escaped) and the current
 * overview as JSON in a data block; the script (assets/dashboard.js) renders tables and charts from
 * it with DOM text nodes only and keeps them live over the event stream. Scripts and styles are
 * same-origin files, so the page runs under a CSP without 'unsafe-inline'.
 *
 * Stable hooks for scripts and tests: `#routes tr[data-route]`, `.alarm[data-kind]`, `#charts
 * .chart[data-metric][data-markers]`, `#decisions li[data-action]`, `#live[data-age-ms]`,
 * `#experiment[data-state]`, `#actions button[data-action]`, `dialog#confirm`, `.holdback[data-holdback]`,
 * `#exemplars article[data-arm] tr.exemplar[data-kind][data-status][data-trace-id]`.
 */
import type { DashboardModel } from './dashboard-model.js';
import { type Html, html, raw } from './html.js';

/** What a page needs besides the model. */
export interface PageOptions {
  /** The route shown, or undefined for the overview. */
  readonly route: string | undefined;
  /** True when a write needs a token (some admin token is configured). */
  readonly needsToken: boolean;
  /** Versioned asset URLs (so they can be cached forever). */
  readonly assets: { readonly js: string; readonly css: string };
  /** The route's fault ramp section (dashboard-ramp.ts), if it has one. */
  readonly ramp?: Html | null;
}

/**
 * JSON for a `<script type="application/json">` block: `<`, `>`, `&` and the JS line separators as
 * escapes, so no string in the data (a reason, a route name) can close the element.
 * @example scriptJson({ reason: '</script>' }) // '{"reason":"\\u003c/script\\u003e"}'
 */
export function scriptJson(data: unknown): string {
  return JSON.stringify(data).replace(/[<>&\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

const RANGES: readonly [string, string][] = [
  ['900', '15 min · 1 s'],
  ['3600', '1 h · 1 s'],
  ['21600', '6 h · 1 min'],
  ['86400', '24 h · 1 min'],
];

function overview(): Html {
  return html`<section id="global-alarms" class="alarms" aria-live="polite"></section>
<table id="routes" class="routes"><thead><tr><th>route</th><th>arms · weight</th><th>phase · step</th><th>last decision</th><th>alarms</th></tr></thead>
<tbody></tbody></table>
<p class="hint">Weights, phases and alarms update live. Open a route for its charts, evidence and actions.</p>`;
}

function routeView(route: string, needsToken: boolean, ramp: Html | null = null): Html {
  const q = encodeURIComponent(route);
  return html`<nav class="crumbs"><a href="/">← all routes</a></nav>
<h2 id="route-name">${route}</h2>
<p class="links"><a href="/diffs?route=${q}">shadow-diff report</a> · <a href="/status?route=${q}">status JSON</a> ·
<a href="/decisions.json?route=${q}">decisions JSON</a> · <a href="/rollups.json?route=${q}">rollups JSON</a> ·
<a href="/experiments.json?route=${q}">experiment JSON</a> · <a href="/dashboard/route.json?route=${q}">route JSON</a> <span class="hint">(trace ids: below under Trace exemplars and on the diff report's examples, linked to your tracing UI with <code>admin.traceUrl</code>)</span></p>
<section id="route-alarms" class="alarms" aria-live="polite"></section>
<section id="arms"></section>
<section id="range" class="range" role="radiogroup" aria-label="time range">${RANGES.map(
    ([v, label]) => html`<label><input type="radio" name="range" value="${v}"${v === '900' ? raw(' checked') : ''}> ${label}</label>`,
  )}</section>
<section id="charts" class="charts">
<figure class="chart" data-metric="rps"><figcaption>requests/s</figcaption></figure>
<figure class="chart" data-metric="err"><figcaption>error rate</figcaption></figure>
<figure class="chart" data-metric="p50"><figcaption>p50 latency (ms)</figcaption></figure>
<figure class="chart" data-metric="p99"><figcaption>p99 latency (ms)</figcaption></figure>
</section>
<section id="variants"></section>
${ramp}
<section id="exemplars" class="exemplars-panel"></section>
<section id="experiment" data-state="loading"><h3>Experiment</h3><p class="hint">loading…</p></section>
<section id="actions" class="actions"><h3>Actions</h3>
<div class="buttons">
<button type="button" data-action="rollback" class="danger">Roll back</button>
<button type="button" data-action="pause">Pause</button>
<button type="button" data-action="resume">Resume</button>
<button type="button" data-action="promote">Promote</button>
</div>
<p id="action-result" role="status"></p>
</section>
<dialog id="confirm"><form method="dialog" id="confirm-form">
<h3 id="confirm-title">Confirm</h3>
<label>Variant <select id="confirm-arm"><option value="">every variant</option></select></label>
<label>Reason <textarea id="confirm-reason" rows="2" maxlength="500" placeholder="why (stored with the decision)"></textarea></label>
${
  needsToken
    ? html`<label>Write token <input id="confirm-token" type="password" autocomplete="off" placeholder="admin.writeToken (kept for this tab only)"></label>`
    : null
}
<label class="check"><input type="checkbox" id="confirm-force"> force (override breaching evidence)</label>
<menu><button value="cancel" formnovalidate>Cancel</button><button value="ok" id="confirm-ok" class="danger">Confirm</button></menu>
</form></dialog>
<section id="decisions-panel"><h3>Decisions</h3><ol id="decisions" reversed></ol></section>`;
}

/**
 * The whole page.
 * @example renderDashboard(model, { route: undefined, needsToken: false, assets })
 */
export function renderDashboard(model: DashboardModel, opts: PageOptions): string {
  const title = opts.route === undefined ? 'Fieldlab — routes' : `Fieldlab — ${opts.route}`;
  const boot = { route: opts.route ?? null, needsToken: opts.needsToken, model };
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="${opts.assets.css}">
</head><body>
<header class="top"><h1><a href="/">Fieldlab</a></h1><span id="live" data-state="connecting" data-age-ms="">connecting…</span></header>
<main>${opts.route === undefined ? overview() : routeView(opts.route, opts.needsToken, opts.ramp ?? null)}</main>
<script type="application/json" id="fl-boot">${raw(scriptJson(boot))}</script>
<script src="${opts.assets.js}"></script>
</body></html>
`.toString();
}
