/**
 * Per-endpoint tables of the diff report: the field table (verdict, rate with its Wilson lower
 * bound next to the noise rate with its upper bound, so a reviewer sees *why* a field is real) and
 * the status transition matrix. Noise rows are rendered but hidden until asked for: they explain
 * the verdicts without burying the real differences.
 */
import type { EndpointReport, FieldReport } from '../compare/report.js';
import { VERDICT_HELP, esc, pct } from './diffs-page-format.js';

/**
 * A verdict badge; `data-verdict` is the stable hook for tests and scripts.
 * @example verdictBadge('real') // '<span class="badge v-real" …>real</span>'
 */
export function verdictBadge(verdict: FieldReport['verdict']): string {
  return `<span class="badge v-${verdict}" data-verdict="${verdict}" title="${esc(VERDICT_HELP[verdict])}">${verdict}</span>`;
}

/** Bar: the rate's Wilson interval [lower, rate] in the verdict colour, the noise upper bound as a tick. */
function rateBar(f: FieldReport): string {
  const w = (x: number) => (Math.min(1, Math.max(0, x)) * 100).toFixed(1);
  const noise =
    f.noiseCompared > 0
      ? `<span class="rb-noise" style="left:${w(f.noiseUpper)}%" title="noise upper bound ${pct(f.noiseUpper)}"></span>`
      : '';
  return `<span class="rb" aria-hidden="true"><span class="rb-ci" style="left:${w(f.lower)}%;width:${w(f.rate - f.lower)}%"></span><span class="rb-rate v-${f.verdict}" style="left:${w(f.rate)}%"></span>${noise}</span>`;
}

/** The field path with its ancestors dimmed and its last segment bold, so long paths scan quickly. */
function fieldCell(field: string): string {
  const m = /^(body:\$)(.*?)((?:\.[^.[]+|\[[^\]]*\])?)$/.exec(field);
  if (!m) return `<code>${esc(field)}</code>`;
  return `<code><span class="fp-dim">${esc(m[1]! + m[2]!)}</span><b>${esc(m[3]!)}</b></code>`;
}

function fieldRow(f: FieldReport): string {
  const noise = f.noiseCompared > 0 ? `${pct(f.noiseRate)} <small>≤ ${pct(f.noiseUpper)}</small>` : '<small>not observed</small>';
  return `<tr class="f-${f.verdict}" data-field="${esc(f.field)}" data-verdict="${f.verdict}" data-kind="${esc(f.kind)}">
<td>${verdictBadge(f.verdict)}</td><td class="fp">${fieldCell(f.field)}</td><td><span class="kind">${esc(f.kind)}</span></td>
<td class="num">${pct(f.rate)} <small>≥ ${pct(f.lower)}</small></td><td>${rateBar(f)}</td>
<td class="num">${noise}</td><td class="num">${f.differed} / ${f.compared}</td><td class="num">${f.noiseDiffered} / ${f.noiseCompared}</td></tr>`;
}

/**
 * The field table of one endpoint, real and unmeasured first (the report's order), noise rows
 * hidden behind a per-endpoint toggle (pure CSS, works without scripts).
 * @example fieldTable(endpoint, 'ep-0')
 */
export function fieldTable(e: EndpointReport, id: string): string {
  if (e.fields.length === 0) {
    return '<p class="ok">No field differed between primary and shadow.</p>';
  }
  const noise = e.fields.filter((f) => f.verdict === 'noise').length;
  const toggle =
    noise > 0
      ? `<label class="noise-toggle"><input type="checkbox" id="${id}-noise" class="show-noise"> show ${noise} noise field${noise === 1 ? '' : 's'}</label>`
      : '';
  return `<div class="fields">${toggle}
<table class="ftable"><thead><tr><th>verdict</th><th>field</th><th>kind</th><th title="differed / compared, with the Wilson 95% lower bound">rate</th><th></th>
<th title="how often the field changes on its own (primary vs primary), with the Wilson 95% upper bound">noise rate</th><th>differed / compared</th><th>noise differed / observed</th></tr></thead>
<tbody>${e.fields.map(fieldRow).join('\n')}</tbody></table></div>`;
}

/**
 * The status transition matrix: primary status per row, shadow status per column; cells off the
 * diagonal (a changed status) are highlighted.
 * @example statusMatrix(endpoint.statuses)
 */
export function statusMatrix(statuses: EndpointReport['statuses']): string {
  if (statuses.length === 0) return '<p class="muted">No statuses recorded.</p>';
  const rows = [...new Set(statuses.map((s) => s.primary))].sort((a, b) => a - b);
  const cols = [...new Set(statuses.map((s) => s.candidate))].sort((a, b) => a - b);
  const total = statuses.reduce((s, x) => s + x.count, 0);
  const cell = (p: number, c: number) => {
    const n = statuses.find((s) => s.primary === p && s.candidate === c)?.count ?? 0;
    const cls = n === 0 ? 'zero' : p === c ? 'same' : 'changed';
    return `<td class="num st-${cls}" data-status="${p}-${c}" title="${n} of ${total} pairs">${n === 0 ? '·' : n}</td>`;
  };
  const label = (s: number) => (s === 0 ? '<span title="no response (error)">error</span>' : String(s));
  return `<table class="smatrix"><thead><tr><th>primary ↓ · shadow →</th>${cols.map((c) => `<th>${label(c)}</th>`).join('')}</tr></thead>
<tbody>${rows.map((p) => `<tr><th>${label(p)}</th>${cols.map((c) => cell(p, c)).join('')}</tr>`).join('')}</tbody></table>`;
}
