/**
 * The fault ramp on the dashboard's route page: where the ramp stands (level in force, step, dwell),
 * every judged step with its goal interval, error counts and time, and the breaking point once it
 * ended. Rendered with the page (reload for the latest numbers); the same data is `GET /status`'s
 * `ramps` entry.
 */
import type { RampStatus } from '../faults/ramp-runtime.js';
import type { StepJudgement } from '../faults/ramp-judge.js';
import { html, type Html } from './html.js';

/**
 * The ramp section of a route page (nothing without a ramp).
 * @example rampSection(ramps.status('checkout')[0])
 */
export function rampSection(r: RampStatus | undefined): Html | null {
  if (!r) return null;
  const lv = (x: number) => (r.kind === 'delay' ? `${x}ms` : `${x}%`);
  const state =
    r.phase === 'running'
      ? `step ${r.step + 1} of ${r.levels.length}: ${lv(r.level!)} on ${r.slicePercent}% of units since ${new Date(r.stepStartedAt).toISOString()} (dwell ${r.dwellMs / 1000}s)`
      : `done (${r.end})`;
  const bp =
    r.phase === 'done'
      ? html`<p id="ramp-breaking-point" class="breaking-point">Breaking point: last safe <b>${r.lastSafe ? lv(r.lastSafe.level) : 'none'}</b>, first harmful <b>${r.firstHarmful ? lv(r.firstHarmful.level) : 'none'}</b></p>`
      : null;
  const row = (verdict: string, level: number, took: string, j: StepJudgement) =>
    html`<tr data-verdict="${verdict}"><td>${verdict}</td><td>${lv(level)}</td><td>${took}</td><td>${goalCell(j)}</td><td>${vitalsCell(j)}</td><td>${j.injectedFailures}</td></tr>`;
  return html`<section id="ramp" data-phase="${r.phase}"><h3>Fault ramp (${r.kind})</h3>
<p class="ramp-state">${state}${r.budgetAllowed === null ? '' : ` · budget ${r.injected} of ${r.budgetAllowed.toFixed(1)} injected failures`}</p>
${bp}
<table class="ramp-steps"><thead><tr><th>verdict</th><th>level</th><th>took</th><th>goal: slice vs control, lift [interval]</th><th>errors slice vs control</th><th>injected failures</th></tr></thead>
<tbody>${r.steps.map((s) => row(s.verdict, s.level, `${((s.endedAt - s.startedAt) / 1000).toFixed(1)}s`, s.judgement))}${
    r.current ? row('now', r.level!, `${((Date.now() - r.stepStartedAt) / 1000).toFixed(0)}s`, r.current) : null
  }</tbody></table></section>`;
}

function goalCell(j: StepJudgement): string {
  const g = j.goal;
  if (!g) return '–';
  const m = (x: number | null) => (x === null ? '–' : x.toFixed(3));
  const p = (x: number) => `${(x * 100).toFixed(1)}%`;
  return `${g.name}: ${m(g.slice.mean)} (${g.slice.units}) vs ${m(g.control.mean)} (${g.control.units})${g.interval ? `, ${p(g.relative ?? 0)} [${p(g.interval[0])}, ${p(g.interval[1])}]` : ''}`;
}

function vitalsCell(j: StepJudgement): string {
  const v = j.vitals;
  return v ? `${v.slice.bad}/${v.slice.requests} vs ${v.control.bad}/${v.control.requests}` : '–';
}
