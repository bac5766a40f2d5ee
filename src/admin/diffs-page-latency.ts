/**
 * The latency panel of an endpoint as inline SVG (no chart library, works offline): p50/p95/p99 of
 * primary and shadow as paired bars on one scale, and the paired delta (shadow − primary, per
 * request) as bars diverging from zero — the delta is what tells a slower shadow from a slower
 * moment, because both sides answered the same request at the same time.
 */
import type { EndpointReport, Quantiles } from '../compare/report.js';
import { ms, signedMs } from '../compare/report-format.js';
import { type Html, html } from './html.js';

const Q = ['p50', 'p95', 'p99'] as const;
const LABEL = 44;
const BARS = 300;
const VALUE = 96;
const W = LABEL + BARS + VALUE;
const BAR_H = 12;

function defined(qs: Quantiles[]): number[] {
  return qs.flatMap((q) => Q.map((k) => q[k])).filter((v): v is number => v !== undefined);
}

function text(x: number, y: number, s: string, cls: string, anchor = 'start'): Html {
  return html`<text x="${x}" y="${y}" class="${cls}" text-anchor="${anchor}">${s}</text>`;
}

/** Primary vs shadow quantiles, grouped per quantile. */
function quantileBars(primary: Quantiles, candidate: Quantiles): Html {
  const max = Math.max(...defined([primary, candidate]), 1e-9);
  const scale = (v: number | undefined) => ((v ?? 0) / max) * BARS;
  const group = 2 * BAR_H + 10;
  const parts = Q.map((k, i) => {
    const y = 6 + i * group;
    const row = (v: number | undefined, dy: number, cls: string, who: string) =>
      html`<rect x="${LABEL}" y="${y + dy}" width="${Math.max(scale(v), v === undefined ? 0 : 1).toFixed(1)}" height="${BAR_H}" class="${cls}" data-q="${k}" data-side="${who}"><title>${who} ${k}: ${ms(v)} ms</title></rect>${text(LABEL + scale(v) + 4, y + dy + BAR_H - 2, `${ms(v)} ms`, 'lv')}`;
    return html`${text(0, y + BAR_H + 4, k, 'lq')}${row(primary[k], 0, 'bar-p', 'primary')}${row(candidate[k], BAR_H, 'bar-c', 'shadow')}`;
  });
  const h = 6 + Q.length * group;
  return html`<svg class="lat" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="latency quantiles, primary vs shadow">${parts}</svg>`;
}

/** Paired delta quantiles diverging from a zero line: right (red) = shadow slower. */
function deltaBars(delta: Quantiles): Html {
  const max = Math.max(...defined([delta]).map(Math.abs), 1e-9);
  const mid = LABEL + BARS / 2;
  const half = BARS / 2 - 4;
  const rows = Q.map((k, i) => {
    const v = delta[k];
    const y = 6 + i * (BAR_H + 6);
    const len = v === undefined ? 0 : Math.max((Math.abs(v) / max) * half, 1);
    const x = v !== undefined && v < 0 ? mid - len : mid;
    const cls = v === undefined || v === 0 ? 'bar-d0' : v > 0 ? 'bar-dslow' : 'bar-dfast';
    return html`${text(0, y + BAR_H - 2, k, 'lq')}<rect x="${x.toFixed(1)}" y="${y}" width="${len.toFixed(1)}" height="${BAR_H}" class="${cls}" data-q="${k}" data-side="delta"><title>delta ${k}: ${signedMs(v)} ms</title></rect>${text(LABEL + BARS + 4, y + BAR_H - 2, `${signedMs(v)} ms`, 'lv')}`;
  });
  const h = 6 + Q.length * (BAR_H + 6);
  return html`<svg class="lat" viewBox="0 0 ${W} ${h}" width="${W}" height="${h}" role="img" aria-label="paired latency delta, shadow minus primary">
<line x1="${mid}" y1="0" x2="${mid}" y2="${h}" class="zero"/>${rows}</svg>`;
}

/**
 * The latency panel, or a note when no pair recorded latency.
 * @example latencyPanel(endpoint.latency)
 */
export function latencyPanel(l: EndpointReport['latency']): Html {
  if (l.samples === 0) return html`<p class="muted">No latency samples.</p>`;
  return html`<div class="latency" data-samples="${l.samples}">
<div class="legend"><span class="sw bar-p"></span> primary <span class="sw bar-c"></span> shadow <span class="muted">· ${l.samples} paired samples · bucketed, ±10%</span></div>
${quantileBars(l.primary, l.candidate)}
<div class="legend">paired delta (shadow − primary, per request): <span class="sw bar-dslow"></span> shadow slower <span class="sw bar-dfast"></span> shadow faster</div>
${deltaBars(l.delta)}</div>`;
}
