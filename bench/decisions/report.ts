/**
 * Summaries of the decisions bench: medians of time to rollback (runs without one count as never),
 * false-rollback shares with a Clopper–Pearson 95 % upper bound (0 of 200 only shows "below 1.8 %"),
 * and the markdown table with met / not met per target.
 */
import type { DecisionsOptions } from './args.js';

/** One decider's figures for one cell. */
export interface CellFigures {
  runs: number;
  /** Runs that rolled back (or, for rollout rows, that promoted). */
  hits: number;
  /** Seconds, null when fewer than half the runs hit. */
  median: number | null;
  p90: number | null;
  share: number;
  /** Clopper–Pearson 95 % upper bound on the share. */
  shareUpper: number;
  /** Runs with any other decision (pause, alert, hold) — for healthy rows. */
  others?: number;
  /** Which rules fired, with counts. */
  rules?: Record<string, number>;
}

/** One row of the table. */
export interface Row {
  id: string;
  label: string;
  kind: 'time-to-rollback' | 'false-rollback' | 'time-to-promote';
  /** Target for Fieldlab: seconds (≤) for times, share (≤) for false rollbacks; null = informational. */
  target: number | null;
  fieldlab: CellFigures;
  flagger: CellFigures;
}

/** The whole report. */
export interface DecisionsReport {
  options: DecisionsOptions;
  setup: Record<string, string | number>;
  rows: Row[];
  elapsedMs: number;
}

/**
 * Figures from per-run times (null = never within the run).
 * @example figures([8, 12, null]) // { runs: 3, hits: 2, median: 12, … }
 */
export function figures(times: readonly (number | null)[]): CellFigures {
  const hitTimes = times.filter((t): t is number => t !== null).sort((a, b) => a - b);
  const runs = times.length;
  const at = (q: number): number | null => {
    // Never-hit runs sort last, so a quantile exists only when enough runs hit.
    const i = Math.ceil(q * runs) - 1;
    return i < hitTimes.length ? hitTimes[Math.max(0, i)]! : null;
  };
  return {
    runs,
    hits: hitTimes.length,
    median: at(0.5),
    p90: at(0.9),
    share: hitTimes.length / runs,
    shareUpper: clopperPearsonUpper(hitTimes.length, runs),
  };
}

/** Upper end of the two-sided 95 % Clopper–Pearson interval, by bisection on the binomial CDF. */
export function clopperPearsonUpper(k: number, n: number): number {
  if (k >= n) return 1;
  let lo = k / n;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (binomCdf(k, n, mid) > 0.025) lo = mid;
    else hi = mid;
  }
  return hi;
}

/** P(X ≤ k) for X ~ Binomial(n, p), summed in log space so large n does not underflow. */
function binomCdf(k: number, n: number, p: number): number {
  const logs: number[] = [];
  let log = n * Math.log1p(-p);
  const step = Math.log(p) - Math.log1p(-p);
  for (let i = 0; i <= k; i++) {
    logs.push(log);
    log += Math.log((n - i) / (i + 1)) + step;
  }
  const max = Math.max(...logs);
  return Math.exp(max) * logs.reduce((sum, l) => sum + Math.exp(l - max), 0);
}

/** met / not met / info for Fieldlab on one row. */
export function verdict(row: Row): 'met' | 'not met' | 'info' {
  if (row.target === null) return 'info';
  if (row.kind === 'false-rollback') return row.fieldlab.share <= row.target ? 'met' : 'not met';
  return row.fieldlab.median !== null && row.fieldlab.median <= row.target ? 'met' : 'not met';
}

const sec = (s: number | null) => (s === null ? 'never' : `${s} s`);
const pc = (x: number) => `${+(x * 100).toFixed(2)}%`;

function cell(row: Row, f: CellFigures): string {
  if (row.kind === 'false-rollback') {
    const others = f.others ? `; ${f.others} other decisions` : '';
    return `${f.hits}/${f.runs} = ${pc(f.share)} (95% ≤ ${pc(f.shareUpper)})${others}`;
  }
  const verb = row.kind === 'time-to-promote' ? 'promoted' : 'rolled back';
  return `median ${sec(f.median)}, p90 ${sec(f.p90)} (${f.hits}/${f.runs} ${verb})`;
}

function targetText(row: Row): string {
  if (row.target === null) return '—';
  return row.kind === 'false-rollback' ? `≤ ${pc(row.target)}` : `median ≤ ${row.target} s`;
}

/** The markdown report. */
export function markdown(r: DecisionsReport): string {
  const lines = [
    '## Guardrail decisions: Fieldlab engine vs a Flagger-style gate',
    '',
    Object.entries(r.setup)
      .map(([k, v]) => `- ${k}: ${v}`)
      .join('\n'),
    '',
    '| Scenario | Fieldlab | Flagger-style gate | Target | Fieldlab verdict |',
    '|---|---|---|---|---|',
    ...r.rows.map(
      (row) => `| ${row.label} | ${cell(row, row.fieldlab)} | ${cell(row, row.flagger)} | ${targetText(row)} | ${verdict(row)} |`,
    ),
    '',
    `Rules that rolled back (Fieldlab): ${
      r.rows
        .filter((row) => row.fieldlab.rules && Object.keys(row.fieldlab.rules).length > 0)
        .map((row) => `${row.id} ${JSON.stringify(row.fieldlab.rules)}`)
        .join('; ') || 'none'
    }.`,
    `${r.options.runs} runs per cell, seed ${r.options.seed}, ${(r.elapsedMs / 1000).toFixed(1)} s.`,
    '',
  ];
  return lines.join('\n');
}
