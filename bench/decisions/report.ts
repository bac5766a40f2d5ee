/**
 * Summaries of the decisions bench: medians of time to rollback (runs without one count as never),
 * rollback shares with a Clopper–Pearson 95 % upper bound (0 of 200 only shows "below 1.8 %"), and the
 * markdown table with every cell next to its target and met / not met.
 */
import type { DecisionsOptions } from './args.js';

/** One decider's figures for one cell. */
export interface CellFigures {
  runs: number;
  hits: number;
  /** Seconds, null when fewer than half the runs hit. */
  median: number | null;
  p90: number | null;
  share: number;
  shareUpper: number;
  /** Runs with a pause or alert (service-wide burn). */
  pauses?: number;
  rules?: Record<string, number>;
}

/** One cell of the table. */
export interface Cell {
  id: string;
  what: string;
  slo: number;
  kind: 'time-to-rollback' | 'false-rollback' | 'zero-rollbacks' | 'mid-rollout';
  /** Seconds (median ≤) for times, a share (≤) for rollbacks, a ratio to the fresh engine for mid-rollout. */
  target: number;
  fieldlab: CellFigures;
  flagger?: CellFigures;
  runs?: number;
  /** Mid-rollout only. */
  fresh?: CellFigures;
  reached?: number;
  runsTotal?: number;
  reachedMedianS?: number | null;
  steppedWhileBroken?: number;
  promotedWhileBroken?: number;
}

/** The whole report. */
export interface DecisionsReport {
  options: DecisionsOptions;
  cells: Cell[];
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
    const i = Math.ceil(q * runs) - 1;
    return runs > 0 && i < hitTimes.length ? hitTimes[Math.max(0, i)]! : null;
  };
  return {
    runs,
    hits: hitTimes.length,
    median: at(0.5),
    p90: at(0.9),
    share: runs ? hitTimes.length / runs : 0,
    shareUpper: clopperPearsonUpper(hitTimes.length, runs),
  };
}

/** Upper end of the two-sided 95 % Clopper–Pearson interval, by bisection on the binomial CDF. */
export function clopperPearsonUpper(k: number, n: number): number {
  if (n === 0 || k >= n) return 1;
  let lo = k / n;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (binomCdf(k, n, mid) > 0.025) lo = mid;
    else hi = mid;
  }
  return hi;
}

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

/** met / not met for one cell. */
export function verdict(c: Cell): 'met' | 'not met' {
  const f = c.fieldlab;
  switch (c.kind) {
    case 'false-rollback':
      return f.share <= c.target ? 'met' : 'not met';
    case 'zero-rollbacks':
      return f.hits === 0 ? 'met' : 'not met';
    case 'time-to-rollback':
      return f.median !== null && f.median <= c.target ? 'met' : 'not met';
    case 'mid-rollout': {
      const ratio = f.median !== null && c.fresh?.median ? f.median / c.fresh.median : null;
      const promoted = c.reached ? (c.promotedWhileBroken ?? 0) / c.reached : 0;
      return ratio !== null && ratio <= c.target && promoted <= 0.005 ? 'met' : 'not met';
    }
  }
}

const sec = (s: number | null | undefined) => (s === null || s === undefined ? 'never' : `${s} s`);
const pc = (x: number) => `${+(x * 100).toFixed(2)}%`;

function result(c: Cell): string {
  const f = c.fieldlab;
  if (c.kind === 'time-to-rollback') return `median ${sec(f.median)}, p90 ${sec(f.p90)} (${f.hits}/${f.runs})`;
  if (c.kind === 'mid-rollout') {
    const ratio = f.median !== null && c.fresh?.median ? (f.median / c.fresh.median).toFixed(2) : 'n/a';
    return (
      `reached 25% in ${c.reached}/${c.runsTotal} runs (median ${sec(c.reachedMedianS)}); detected after median ${sec(f.median)} ` +
      `vs fresh engine at 25% ${sec(c.fresh?.median)} (= ${ratio}×); stepped up while broken ${c.steppedWhileBroken}/${c.reached}, ` +
      `promoted while broken ${c.promotedWhileBroken}/${c.reached}`
    );
  }
  const pauses = f.pauses ? `; ${f.pauses} paused (service-wide burn)` : '';
  return `${f.hits}/${f.runs} = ${pc(f.share)} (95% ≤ ${pc(f.shareUpper)})${pauses}`;
}

function targetText(c: Cell): string {
  switch (c.kind) {
    case 'false-rollback':
      return `≤ ${pc(c.target)} rolled back / h`;
    case 'zero-rollbacks':
      return '0 rollbacks';
    case 'time-to-rollback':
      return `median ≤ ${c.target} s`;
    case 'mid-rollout':
      return `≤ ${c.target}× fresh; promoted while broken ≤ 0.5%`;
  }
}

/** The markdown report. */
export function markdown(r: DecisionsReport): string {
  const rows = r.cells.map(
    (c) =>
      `| ${c.what} | ${c.slo}% | ${result(c)}${c.flagger ? ` — Flagger-style gate: median ${sec(c.flagger.median)} (${c.flagger.hits}/${c.flagger.runs})` : ''} | ${targetText(c)} | ${verdict(c)} |`,
  );
  const met = r.cells.filter((c) => verdict(c) === 'met').length;
  return [
    '## Guardrail decisions',
    '',
    '| Scenario | SLO | Fieldlab | Target | Verdict |',
    '|---|---|---|---|---|',
    ...rows,
    '',
    `${met}/${r.cells.length} cells meet their target. Default ${r.options.runs} runs per cell (fewer where the cell says), seed ${r.options.seed}, ${(r.elapsedMs / 1000).toFixed(0)} s.`,
    '',
  ].join('\n');
}
