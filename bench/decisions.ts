/**
 * Decisions bench: how fast Fieldlab's guardrails engine rolls back a bad variant and how rarely it
 * rolls back a healthy one, against a Flagger-style absolute gate on the same simulated traffic.
 *
 *   npm run build && node dist/bench/decisions.js [--runs N] [--seed S] [--json]
 *
 * Traffic is simulated on a virtual clock (seeded, Poisson arrivals, Bernoulli errors drawn as
 * per-second Poisson counts), control error rate 0.5 %. Fieldlab's engine gets one bucket per arm per
 * second through `recordBucket` — what the proxy's per-second aggregation feeds it, and proven equal
 * to per-request `record` in the unit tests — and is evaluated after every second, with the route's
 * defaults (α 0.01, tolerance 1.5, keyCap 5) and an availability SLO of 99 % (the same bar as the
 * gate). Flagger's gate: `request-success-rate` ≥ 99 % on the canary alone, checked once per 1-minute
 * interval, `threshold: 1` (the first failed check rolls back), and an interval without canary
 * requests is a failed check ("no values found").
 *
 * Rows and targets (Fieldlab):
 *   - median time to rollback, 1 % variant with 50 % errors at 50 req/s: ≤ 15 s
 *   - median time to rollback, 1 % variant with 5 % errors (10× control) at 500 req/s: ≤ 60 s
 *   - share of healthy variants (0.5 % errors, like control) rolled back during 1 h of continuous
 *     evaluation at 50 req/s and 1 %, 5 %, 25 %: ≤ 1 %
 *   - informational: time to promote a healthy variant through 1/5/25/50/100 % at 500 req/s
 *     (minBake 2m) vs Flagger stepping the same weights every minute.
 * Default 200 runs per cell; a few seconds on one core. Markdown (or JSON with --json) on stdout.
 */
import { parseDecisionsOptions } from './decisions/args.js';
import { mulberry32 } from '../src/stats/random.js';
import { figures, markdown, verdict, type CellFigures, type DecisionsReport, type Row } from './decisions/report.js';
import {
  BENCH_STEPS,
  FLAGGER_MIN_SUCCESS,
  runEngine,
  runEngineRollout,
  runFlagger,
  runFlaggerRollout,
  type Scenario,
} from './decisions/scenarios.js';

const CONTROL_ERRORS = 0.005;
const HOUR = 3600;

interface Cell {
  id: string;
  label: string;
  kind: Row['kind'];
  target: number | null;
  scenario: Scenario;
}

const cells: Cell[] = [
  cell('rollback-50pct', 'Time to rollback: 1% variant, 50% errors, 50 req/s', 'time-to-rollback', 15, 50, 0.01, 0.5),
  cell('rollback-10x', 'Time to rollback: 1% variant, 5% errors (10× control), 500 req/s', 'time-to-rollback', 60, 500, 0.01, 0.05),
  cell('healthy-1', 'False rollback in 1 h: healthy 1% variant, 50 req/s', 'false-rollback', 0.01, 50, 0.01, CONTROL_ERRORS),
  cell('healthy-5', 'False rollback in 1 h: healthy 5% variant, 50 req/s', 'false-rollback', 0.01, 50, 0.05, CONTROL_ERRORS),
  cell('healthy-25', 'False rollback in 1 h: healthy 25% variant, 50 req/s', 'false-rollback', 0.01, 50, 0.25, CONTROL_ERRORS),
  cell(
    'promote-500',
    `Time to promote a healthy variant through ${BENCH_STEPS.join('/')}%, 500 req/s (info)`,
    'time-to-promote',
    null,
    500,
    0.01,
    CONTROL_ERRORS,
  ),
];

function cell(id: string, label: string, kind: Row['kind'], target: number | null, rps: number, weight: number, pVariant: number): Cell {
  const seconds = kind === 'time-to-promote' ? 4 * HOUR : HOUR;
  return { id, label, kind, target, scenario: { name: id, rps, weight, pControl: CONTROL_ERRORS, pVariant, seconds } };
}

/** A distinct, reproducible stream per (seed, cell, decider, run). */
function rng(seed: number, cellIndex: number, decider: number, run: number) {
  return mulberry32((seed * 0x9e3779b1 + cellIndex * 0x85ebca6b + decider * 0xc2b2ae35 + run * 0x27d4eb2f) >>> 0);
}

function measure(c: Cell, index: number, runs: number, seed: number): Row {
  let fieldlab: CellFigures;
  let flagger: CellFigures;
  if (c.kind === 'time-to-promote') {
    fieldlab = figures(Array.from({ length: runs }, (_, r) => runEngineRollout(c.scenario, rng(seed, index, 0, r)).promotedAt));
    flagger = figures(Array.from({ length: runs }, (_, r) => runFlaggerRollout(c.scenario, rng(seed, index, 1, r)).promotedAt));
  } else {
    const results = Array.from({ length: runs }, (_, r) => runEngine(c.scenario, rng(seed, index, 0, r)));
    fieldlab = figures(results.map((x) => x.rollbackAt));
    fieldlab.others = results.filter((x) => x.rollbackAt === null && x.otherAt != null).length;
    fieldlab.rules = {};
    for (const x of results) if (x.rule) fieldlab.rules[x.rule] = (fieldlab.rules[x.rule] ?? 0) + 1;
    flagger = figures(Array.from({ length: runs }, (_, r) => runFlagger(c.scenario, rng(seed, index, 1, r)).rollbackAt));
  }
  return { id: c.id, label: c.label, kind: c.kind, target: c.target, fieldlab, flagger };
}

function main(): void {
  const options = parseDecisionsOptions(process.argv.slice(2));
  const started = performance.now();
  const rows = cells.map((c, i) => {
    process.stderr.write(`bench: ${c.id} (${options.runs} runs)\n`);
    return measure(c, i, options.runs, options.seed);
  });
  const report: DecisionsReport = {
    options,
    setup: {
      'control error rate': '0.5%',
      'Fieldlab engine':
        'defaults (α 0.01, tolerance 1.5, keyCap 5, burn rules 14.4× 5m/1m and 6× 30m/6m), SLO availability 99%, evaluated every second, fed per-second buckets',
      'Flagger-style gate': `request-success-rate ≥ ${FLAGGER_MIN_SUCCESS}% per 1-minute interval on the canary alone, threshold 1, no canary requests in an interval = failed check`,
      'runs per cell': options.runs,
    },
    rows,
    elapsedMs: Math.round(performance.now() - started),
  };
  if (options.json) {
    process.stdout.write(`${JSON.stringify({ ...report, verdicts: Object.fromEntries(rows.map((r) => [r.id, verdict(r)])) }, null, 2)}\n`);
  } else {
    process.stdout.write(markdown(report));
  }
}

main();
