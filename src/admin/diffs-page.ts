/**
 * The HTML shadow-diff report: one self-contained page (inline CSS and script, no external assets)
 * served at admin `GET /diffs` and written by `fieldlab diffs --html`. It reads top-down the way a
 * review goes: totals and window, endpoints ranked by real-difference rate, then per endpoint the
 * fields with their verdicts and the numbers behind them, status transitions, latency, and example
 * pairs with their trace ids. Skips are listed so nothing is silently missing. Markup is built with
 * the `html` template (admin/html.ts): every interpolated value is escaped.
 *
 * Stable hooks for scripts and browser tests: `section[data-endpoint]` (with data-route,
 * data-shadow), `tr[data-field][data-verdict]`, `article.example[data-request-id][data-trace-id]`,
 * `mark[data-path]`, `#skips tr[data-reason]`, `#pager[data-offset][data-total]`.
 */
import type { DiffReport, EndpointReport } from '../compare/report.js';
import { describeFilter, pct, SKIP_REASONS, VERDICT_HELP } from '../compare/report-format.js';
import { OVERFLOW } from '../storage/types.js';
import { DIFFS_CSS, DIFFS_JS } from './diffs-page-assets.js';
import { examplesBlock, type PickedExample } from './diffs-page-examples.js';
import { fieldTable, statusMatrix } from './diffs-page-fields.js';
import { latencyPanel } from './diffs-page-latency.js';
import { type Html, html, raw } from './html.js';

export { type ExampleLookup, loadPageExamples, type PickedExample } from './diffs-page-examples.js';

function count(e: EndpointReport, verdict: string): number {
  return e.fields.filter((f) => f.verdict === verdict).length;
}

function badges(e: EndpointReport): Html {
  const real = count(e, 'real');
  const unm = count(e, 'unmeasured');
  const noise = count(e, 'noise');
  const out = [
    real > 0 ? html`<span class="badge v-real" title="${VERDICT_HELP.real}">${real} real</span>` : null,
    unm > 0 ? html`<span class="badge v-unmeasured" title="${VERDICT_HELP.unmeasured}">${unm} unmeasured</span>` : null,
    noise > 0 ? html`<span class="badge v-noise" title="${VERDICT_HELP.noise}">${noise} noise</span>` : null,
  ].filter((b) => b !== null);
  if (out.length === 0) return html`<span class="badge v-noise">no differences</span>`;
  return raw(out.join(' '));
}

/** A link to another page of the same report (same filter, same page size). */
function pageHref(r: DiffReport, offset: number): string {
  const q = new URLSearchParams();
  for (const k of ['route', 'shadow', 'endpoint'] as const) if (r.filter[k]) q.set(k, r.filter[k]!);
  for (const k of ['since', 'until'] as const) if (r.filter[k] !== undefined) q.set(k, String(r.filter[k]));
  q.set('offset', String(offset));
  q.set('limit', String(r.page.limit));
  q.set('fields', String(r.page.fields));
  return `?${q.toString()}`;
}

/** Where this page sits in the ranking, with links to the previous and next pages. */
function pager(r: DiffReport): Html | null {
  const { offset, limit, total, next } = r.page;
  if (total === 0) return null;
  const last = Math.min(offset + r.endpoints.length, total);
  const prev = offset > 0 ? html`<a rel="prev" href="${pageHref(r, Math.max(0, offset - limit))}">← previous ${limit}</a>` : null;
  const more = next !== null ? html`<a rel="next" href="${pageHref(r, next)}">next ${Math.min(limit, total - next)} →</a>` : null;
  return html`<nav class="pager" id="pager" data-offset="${offset}" data-total="${total}">endpoints ${offset + 1}–${last} of ${total} ${prev} ${more}</nav>`;
}

function key(e: EndpointReport): string {
  return `${e.route} ${e.shadow} ${e.endpoint}`.toLowerCase();
}

function header(r: DiffReport): Html {
  const skipped = r.skips.reduce((s, x) => s + x.count, 0);
  const total = (n: number, label: Html | string, cls = '') => html`<div class="total ${cls}"><b>${n}</b><span>${label}</span></div>`;
  return html`<header><h1>Shadow diffs</h1>
<div class="window" id="window">${describeFilter(r.filter)} · generated ${r.generatedAt}</div>
<div class="totals" id="totals">${total(r.totals.pairs, 'pairs compared')}${total(r.totals.endpoints, 'endpoints')}
${total(r.totals.realFields, 'real differences', 't-real')}${total(r.totals.unmeasuredFields, 'unmeasured (noise unknown)', 't-unmeasured')}
${total(skipped, skipped > 0 ? html`<a href="#skips">skipped (see below)</a>` : 'skipped')}
${r.totals.overflowPairs > 0 ? total(r.totals.overflowPairs, html`pairs in <code>${OVERFLOW}</code>: endpoint cap reached`, 't-overflow') : null}</div></header>`;
}

function rankingRow(r: DiffReport, e: EndpointReport, i: number): Html {
  return html`<tr data-endpoint-key="${key(e)}" data-endpoint="${e.endpoint}" data-route="${e.route}" data-shadow="${e.shadow}">
<td class="num">${r.page.offset + i + 1}</td><td class="ep"><a href="#ep-${i}"><code>${e.endpoint}</code></a></td><td>${e.route}</td><td>${e.shadow}</td>
<td class="num">${e.pairs}</td><td class="num">${e.realRate > 0 ? html`<b class="changed">${pct(e.realRate)}</b>` : '0%'}</td>
<td class="num">${e.unmeasuredRate > 0 ? pct(e.unmeasuredRate) : '–'}</td><td>${badges(e)}</td></tr>\n`;
}

function ranking(r: DiffReport): Html {
  return html`<section class="card" id="ranking"><h2>Endpoints, ranked by real-difference rate</h2>${pager(r)}
<div class="toolbar"><input type="search" id="ep-filter" placeholder="filter endpoints, routes, shadows…" aria-label="filter endpoints">
<label><input type="checkbox" id="show-all-noise"> show noise fields everywhere</label></div>
<table class="ranking"><thead><tr><th>#</th><th>endpoint</th><th>route</th><th>shadow</th><th class="num">pairs</th>
<th class="num" title="highest rate among fields judged real">real rate</th><th class="num" title="highest rate among fields whose noise is unmeasured">unmeasured rate</th><th>fields</th></tr></thead>
<tbody>${r.endpoints.map((e, i) => rankingRow(r, e, i))}</tbody></table></section>`;
}

function endpointSection(e: EndpointReport, i: number, rank: number, examples: readonly PickedExample[] | null, traceUrl?: string): Html {
  const cut = e.fieldsTotal - e.fields.length;
  return html`<section class="card endpoint" id="ep-${i}" data-endpoint-key="${key(e)}" data-endpoint="${e.endpoint}" data-route="${e.route}" data-shadow="${e.shadow}">
<div class="ep-head"><span class="rank">#${rank}</span><h2><code>${e.endpoint}</code></h2>
<span class="where">route <b>${e.route}</b> → shadow <b>${e.shadow}</b> · ${e.pairs} pairs</span><span class="badges">${badges(e)}</span></div>
${e.endpoint === OVERFLOW ? html`<p class="muted overflow" data-overflow="endpoint">Every endpoint of this route and shadow beyond the first <code>store.maxEndpoints</code> in an hour is counted here: a flood of distinct paths costs bounded storage.</p>` : null}
<h3>Fields</h3>${fieldTable(e, `ep-${i}`)}${cut > 0 ? html`<p class="muted" data-more-fields="${cut}">… and ${cut} more fields (raise <code>fields=</code>)</p>` : null}
<div class="panels"><div><h3>Status transitions</h3>${statusMatrix(e.statuses)}</div><div><h3>Latency (ms)</h3>${latencyPanel(e.latency)}</div></div>
<h3>Examples</h3><div class="examples">${examplesBlock(e, examples, traceUrl)}</div></section>\n`;
}

function skips(r: DiffReport): Html {
  if (r.skips.length === 0)
    return html`<section class="card" id="skips"><h2>Skipped</h2><p class="muted">Nothing was skipped: every mirrored request was compared.</p></section>`;
  const rows = r.skips.map(
    (s) => html`<tr data-reason="${s.reason}" data-route="${s.route}" data-shadow="${s.shadow}"><td>${s.route}</td><td>${s.shadow}</td>
<td><code>${s.reason}</code></td><td>${SKIP_REASONS[s.reason] ?? ''}</td><td class="num">${s.count}</td></tr>\n`,
  );
  return html`<section class="card skips" id="skips"><h2>Skipped</h2><p class="muted">Requests not mirrored, or pairs not (fully) compared — counted here so that a quiet report never hides missing data.</p>
<table><thead><tr><th>route</th><th>shadow</th><th>reason</th><th>meaning</th><th class="num">count</th></tr></thead><tbody>${rows}</tbody></table></section>`;
}

function empty(r: DiffReport): Html {
  return html`<section class="card" id="empty"><h2>No shadow pairs in this window</h2>
<p class="muted">Nothing was compared${r.filter.route || r.filter.shadow || r.filter.endpoint ? ' for this filter' : ''}. Check that a route has <code>shadow: [{ to: … }]</code>, that traffic reaches it with a mirrored method (GET/HEAD/OPTIONS by default), and the skips below.</p></section>`;
}

/**
 * Renders a report page as one self-contained HTML page from data fetched beforehand (`examples[i]`
 * belongs to `report.endpoints[i]`; see loadPageExamples). Pure: no store access. Every value is escaped.
 * Trace ids link to `traceUrl` (admin.traceUrl) when it is set.
 * @example res.end(renderDiffsPage(report, await loadPageExamples(report, (f) => store.examples({ ...f, limit: 3 }))))
 */
export function renderDiffsPage(report: DiffReport, examples: readonly (readonly PickedExample[] | null)[], traceUrl?: string): string {
  const body =
    report.endpoints.length === 0
      ? empty(report)
      : html`${ranking(report)}${report.endpoints.map((e, i) => endpointSection(e, i, report.page.offset + i + 1, examples[i] === undefined ? [] : examples[i], traceUrl))}`;
  return html`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Fieldlab shadow diffs${report.totals.realFields > 0 ? ` — ${report.totals.realFields} real` : ''}</title>
<style>${raw(DIFFS_CSS)}</style></head>
<body><main>${header(report)}
${body}
${skips(report)}
<footer class="muted"><small>real: ${VERDICT_HELP.real}. unmeasured: ${VERDICT_HELP.unmeasured}. noise: ${VERDICT_HELP.noise}.
Rates show the Wilson 95% lower bound (≥), noise rates the upper bound (≤); the bar shows the rate interval, the black tick the noise upper bound.</small></footer></main>
<script>${raw(DIFFS_JS)}</script></body></html>`.toString();
}
