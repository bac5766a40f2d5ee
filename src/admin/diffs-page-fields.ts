/**
 * Per-endpoint tables of the diff report: the field table (verdict, rate with its Wilson lower
 * bound next to the noise rate with its upper bound, so a reviewer sees *why* a field is real) and
 * the status transition matrix. Noise rows are rendered but hidden until asked for: they explain
 * the verdicts without burying the real differences.
 */
import type { EndpointReport, FieldReport } from '../compare/report.js';
import { pairedDelta, pct, VERDICT_HELP } from '../compare/report-format.js';
import { type Html, html } from './html.js';

/**
 * A verdict badge; `data-verdict` is the stable hook for tests and scripts.
 * @example verdictBadge('real') // '<span class="badge v-real" …>real</span>'
 */
export function verdictBadge(verdict: FieldReport['verdict']): Html {
  return html`<span class="badge v-${verdict}" data-verdict="${verdict}" title="${VERDICT_HELP[verdict]}">${verdict}</span>`;
}

/** Bar: the rate's Wilson interval [lower, rate] in the verdict colour, the noise upper bound as a tick. */
function rateBar(f: FieldReport): Html {
  const w = (x: number) => (Math.min(1, Math.max(0, x)) * 100).toFixed(1);
  const noise =
    f.noiseCompared > 0
      ? html`<span class="rb-noise" style="left:${w(f.noiseUpper)}%" title="noise upper bound ${pct(f.noiseUpper)}"></span>`
      : null;
  return html`<span class="rb" aria-hidden="true"><span class="rb-ci" style="left:${w(f.lower)}%;width:${w(f.rate - f.lower)}%"></span><span class="rb-rate v-${f.verdict}" style="left:${w(f.rate)}%"></span>${noise}</span>`;
}

/** The field path with its ancestors dimmed and its last segment bold, so long paths scan quickly. */
function fieldCell(field: string): Html {
  const m = /^(body:\$)(.*?)((?:\.[^.[]+|\[[^\]]*\])?)$/.exec(field);
  if (!m) return html`<code>${field}</code>`;
  return html`<code><span class="fp-dim">${m[1]! + m[2]!}</span><b>${m[3]!}</b></code>`;
}

function fieldRow(f: FieldReport): Html {
  const noise = f.noiseCompared > 0 ? html`${pct(f.noiseRate)} <small>≤ ${pct(f.noiseUpper)}</small>` : html`<small>not observed</small>`;
  return html`<tr class="f-${f.verdict}" data-field="${f.field}" data-verdict="${f.verdict}" data-kind="${f.kind}">
<td>${verdictBadge(f.verdict)}</td><td class="fp">${fieldCell(f.field)}${f.meanDeltaMs === undefined ? '' : html` <small class="delta">${pairedDelta(f)}</small>`}</td><td><span class="kind">${f.kind}</span></td>
<td class="num">${pct(f.rate)} <small>≥ ${pct(f.lower)}</small></td><td>${rateBar(f)}</td>
<td class="num">${noise}</td><td class="num">${f.differed} / ${f.compared}</td><td class="num">${f.noiseDiffered} / ${f.noiseCompared}</td></tr>\n`;
}

/**
 * The field table of one endpoint, real and unmeasured first (the report's order), noise rows
 * hidden behind a per-endpoint toggle (pure CSS, works without scripts).
 * @example fieldTable(endpoint, 'ep-0')
 */
export function fieldTable(e: EndpointReport, id: string): Html {
  if (e.fields.length === 0) {
    return html`<p class="ok">No field differed between primary and shadow.</p>`;
  }
  const noise = e.fields.filter((f) => f.verdict === 'noise').length;
  const toggle =
    noise > 0
      ? html`<label class="noise-toggle"><input type="checkbox" id="${id}-noise" class="show-noise"> show ${noise} noise field${noise === 1 ? '' : 's'}</label>`
      : null;
  return html`<div class="fields">${toggle}
<table class="ftable"><thead><tr><th>verdict</th><th>field</th><th>kind</th><th title="differed / compared, with the Wilson 95% lower bound">rate</th><th></th>
<th title="how often the field changes on its own (primary vs primary), with the Wilson 95% upper bound">noise rate</th><th>differed / compared</th><th>noise differed / observed</th></tr></thead>
<tbody>${e.fields.map(fieldRow)}</tbody></table></div>`;
}

/**
 * The status transition matrix: primary status per row, shadow status per column; cells off the
 * diagonal (a changed status) are highlighted.
 * @example statusMatrix(endpoint.statuses)
 */
export function statusMatrix(statuses: EndpointReport['statuses']): Html {
  if (statuses.length === 0) return html`<p class="muted">No statuses recorded.</p>`;
  const rows = [...new Set(statuses.map((s) => s.primary))].sort((a, b) => a - b);
  const cols = [...new Set(statuses.map((s) => s.candidate))].sort((a, b) => a - b);
  const total = statuses.reduce((s, x) => s + x.count, 0);
  const cell = (p: number, c: number) => {
    const n = statuses.find((s) => s.primary === p && s.candidate === c)?.count ?? 0;
    const cls = n === 0 ? 'zero' : p === c ? 'same' : 'changed';
    return html`<td class="num st-${cls}" data-status="${p}-${c}" title="${n} of ${total} pairs">${n === 0 ? '·' : n}</td>`;
  };
  const label = (s: number) => (s === 0 ? html`<span title="no response (error)">error</span>` : String(s));
  return html`<table class="smatrix"><thead><tr><th>primary ↓ · shadow →</th>${cols.map((c) => html`<th>${label(c)}</th>`)}</tr></thead>
<tbody>${rows.map((p) => html`<tr><th>${label(p)}</th>${cols.map((c) => cell(p, c))}</tr>`)}</tbody></table>`;
}
