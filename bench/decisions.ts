/**
 * Decisions bench: how fast Fieldlab's guardrails roll back a bad variant, and how rarely they act on
 * a healthy one, on the traffic shapes SREs see — heavy-tailed users, bursts, shared incidents, a
 * high-baseline control, one failing unit, latency inside the SLO, breaks mid-rollout — at the
 * default SLO (99.9 %) and at 99 %, weights 1/5/25 %, 50 and 500 req/s.
 *
 *   npm run bench:decisions -- [--runs N] [--seed S] [--only ID-PREFIX] [--json]
 *
 * Traffic is simulated per second on a virtual clock (bench/decisions/traffic.ts); the engine gets
 * the ArmSecond statistics the proxy's collector would produce and is evaluated after every second.
 * Every cell is 1 simulated hour per run unless it says otherwise. Markdown (or JSON) on stdout.
 */
import type { RawGuardrails } from '../src/config/schema.js';
import { parseDecisionsOptions } from './decisions/args.js';
import { mulberry32, type Rng } from '../src/stats/random.js';
import { figures, markdown, type Cell, type DecisionsReport } from './decisions/report.js';
import { benchGuardrails, runFixed, runFlagger, runRollout } from './decisions/scenarios.js';
import { lognormalPopulation, type TrafficSpec } from './decisions/traffic.js';

const HOUR = 3600;
const BASE = 0.005;
const SLOS = [99.9, 99] as const;
const WEIGHTS = [0.01, 0.05, 0.25] as const;
const RATES = [50, 500] as const;

interface Job {
  id: string;
  runs: number;
  run: (runs: number, rng: (run: number) => Rng) => Cell[];
}

const pctw = (w: number) => `${w * 100}%`;

/** One row of the issue's table at every weight × rate; traffic shared by both SLOs unless `perSlo`. */
function grid(
  id: string,
  what: string,
  kind: Cell['kind'],
  target: number,
  spec: (rps: number, w: number, rnd: Rng, slo: number) => TrafficSpec,
  opts: { perSlo?: boolean; p99?: string; seconds?: number } = {},
): Job[] {
  const jobs: Job[] = [];
  for (const rps of RATES)
    for (const w of WEIGHTS) {
      const groups: number[][] = opts.perSlo ? SLOS.map((s) => [s]) : [[...SLOS]];
      for (const slos of groups) {
        jobs.push({
          id: `${id}-${rps}-${w * 100}${opts.perSlo ? `-${slos[0]}` : ''}`,
          runs: 0,
          run: (runs, rng) => {
            const configs: RawGuardrails[] = slos.map((s) => benchGuardrails(s, opts.p99));
            const results = Array.from({ length: runs }, (_, r) => {
              const rnd = rng(r);
              return runFixed(configs, spec(rps, w, rnd, slos[0]!), w, opts.seconds ?? HOUR, rnd);
            });
            return slos.map((slo, i) => {
              const mine = results.map((x) => x[i]!);
              const f = figures(mine.map((x) => x.rollbackAt));
              f.pauses = mine.filter((x) => x.pauseAt !== null).length;
              f.rules = {};
              for (const x of mine) if (x.rule) f.rules[x.rule] = (f.rules[x.rule] ?? 0) + 1;
              return { id: `${id}`, what: `${what}, ${pctw(w)}, ${rps} req/s`, slo, kind, target, fieldlab: f };
            });
          },
        });
      }
    }
  return jobs;
}

const crowd = (rps: number, pv = BASE, pc = BASE): TrafficSpec => ({ rps, pControl: pc, pVariant: pv });

const jobs: Job[] = [
  // Kept targets.
  ...[50].map((rps) => kept('dead-canary', `dead 1% canary (50% errors), ${rps} req/s`, rps, 0.01, 0.5, 15)),
  ...[500].map((rps) => kept('ten-x', `1% variant at 10× control errors (5%), ${rps} req/s`, rps, 0.01, 0.05, 60)),
  ...grid('healthy', 'healthy variant (0.5% like control)', 'false-rollback', 0.01, (rps) => crowd(rps)),
  ...grid('type-1', 'variant at ρ = tolerance (0.75% vs 0.5%)', 'false-rollback', 0.01, (rps) => crowd(rps, BASE * 1.5)),
  // The issue's table.
  ...grid('heavy-user', 'one heavy healthy user (20 req/s, 0.5%) on the variant', 'false-rollback', 0.01, (rps) => ({
    ...crowd(rps),
    users: [{ rate: 20, p: null, bucket: 0 }],
  })),
  ...grid('lognormal', '2,000 users, log-normal rates (σ 1.5), healthy', 'false-rollback', 0.01, (rps, _w, rnd) => {
    const pop = lognormalPopulation(rnd, 2000, 1.5, rps);
    return { ...crowd(pop.crowdRps), users: pop.users, crowdShare: pop.crowdShare };
  }),
  ...grid('bursts', 'errors in bursts of 20 units within 1 s, same rate on both arms', 'false-rollback', 0.01, (rps, w, rnd) => {
    let onV = 0;
    for (let i = 0; i < 2000; i++) if (rnd() < w) onV++;
    return { ...crowd(rps), burst: 20, crowdShare: () => onV / 2000 };
  }),
  ...grid(
    'shared-incident',
    '2-minute shared incident (both arms 5%), control otherwise inside its SLO',
    'zero-rollbacks',
    0,
    (rps, _w, _r, slo) => {
      const base = slo === 99.9 ? 0.0005 : 0.005;
      return { ...crowd(rps, base, base), incident: { from: 1200, to: 1320, p: 0.05 } };
    },
    { perSlo: true },
  ),
  ...grid('high-baseline', 'control at 5% errors, variant 1.3× (inside tolerance 1.5)', 'false-rollback', 0.01, (rps) =>
    crowd(rps, 0.065, 0.05),
  ),
  ...grid('one-unit', 'one unit sending 20 req/s of 500s on the variant, others healthy', 'false-rollback', 0.01, (rps) => ({
    ...crowd(rps),
    users: [{ rate: 20, p: 1, bucket: 0 }],
  })),
  ...grid(
    'latency-inside',
    'variant p99 ≈ 467 ms (0.8% over 500 ms; control 0.2%) with slo.latency.p99 500ms',
    'false-rollback',
    0.01,
    (rps) => ({ ...crowd(rps), slowVariant: 0.008, slowControl: 0.002 }),
    { p99: '500ms' },
  ),
  ...SLOS.flatMap((slo) => RATES.map((rps) => midRollout(slo, rps))),
];

function kept(id: string, what: string, rps: number, w: number, pv: number, target: number): Job {
  return {
    id: `${id}-${rps}`,
    runs: 0,
    run: (runs, rng) => {
      const results = Array.from({ length: runs }, (_, r) =>
        runFixed(
          SLOS.map((s) => benchGuardrails(s)),
          crowd(rps, pv),
          w,
          HOUR,
          rng(r),
        ),
      );
      const flagger = figures(Array.from({ length: runs }, (_, r) => runFlagger({ rps, weight: w, pVariant: pv }, HOUR, rng(r + 1e6))));
      return SLOS.map((slo, i) => ({
        id,
        what,
        slo,
        kind: 'time-to-rollback' as const,
        target,
        fieldlab: figures(results.map((x) => x[i]!.rollbackAt)),
        flagger,
      }));
    },
  };
}

/** A healthy 1→5→25→50→100 rollout that breaks (2× control) on reaching 25%, vs a fresh engine at 25%. */
function midRollout(slo: number, rps: number): Job {
  const seconds = rps === 50 ? 12 * HOUR : 3 * HOUR;
  return {
    id: `mid-rollout-${rps}-${slo}`,
    runs: rps === 50 ? 100 : 0,
    run: (runs, rng) => {
      const g = benchGuardrails(slo);
      const spec: TrafficSpec = { ...crowd(rps), breakAt: 25, breakTo: BASE * 2 };
      const res = Array.from({ length: runs }, (_, r) => runRollout(g, spec, seconds, rng(r)));
      const fresh = Array.from(
        { length: runs },
        (_, r) => runFixed([g], crowd(rps, BASE * 2), 0.25, 2 * HOUR, rng(r + 1e6))[0]!.rollbackAt,
      );
      const reached = res.filter((x) => x.reachedAt !== null);
      const detect = figures(reached.map((x) => x.detectedAfter));
      const freshF = figures(fresh);
      return [
        {
          id: 'mid-rollout',
          what: `rollout 1→5→25→50→100 breaks (2× control) on reaching 25%, ${rps} req/s (${seconds / HOUR} h runs)`,
          slo,
          kind: 'mid-rollout' as const,
          target: 2,
          fieldlab: detect,
          fresh: freshF,
          reached: reached.length,
          runsTotal: runs,
          reachedMedianS: figures(res.map((x) => x.reachedAt)).median,
          steppedWhileBroken: reached.filter((x) => x.steppedWhileBroken).length,
          promotedWhileBroken: reached.filter((x) => x.promotedWhileBroken).length,
        },
      ];
    },
  };
}

/** A distinct, reproducible stream per (seed, job, run). */
function rngFor(seed: number, job: number) {
  return (run: number) => mulberry32((seed * 0x9e3779b1 + job * 0x85ebca6b + run * 0x27d4eb2f) >>> 0);
}

function main(): void {
  const options = parseDecisionsOptions(process.argv.slice(2));
  const started = performance.now();
  const cells: Cell[] = [];
  jobs.forEach((job, i) => {
    if (options.only && !job.id.startsWith(options.only)) return;
    const runs = job.runs || options.runs;
    const t = performance.now();
    cells.push(...job.run(runs, rngFor(options.seed, i)).map((c) => ({ ...c, runs })));
    process.stderr.write(`bench: ${job.id} (${runs} runs) ${((performance.now() - t) / 1000).toFixed(1)} s\n`);
  });
  const report: DecisionsReport = { options, cells, elapsedMs: Math.round(performance.now() - started) };
  process.stdout.write(options.json ? `${JSON.stringify(report, null, 2)}\n` : markdown(report));
}

main();
