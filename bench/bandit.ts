/**
 * Bandit bench: the regret of `allocation: bandit` (the runtime's own Thompson sampling, floor and
 * burn-in: experiments/thompson.ts) against a fixed equal split, and how many units it takes to find
 * the best arm, on simulated traffic with known conversion rates; plus the cost of one update.
 *
 *   npm run bench:bandit -- [--runs N] [--seed S]
 *
 * Each run: 100 updates ("every"), 200 new units between two updates (20,000 units), each converting
 * with its arm's true rate and seen by the next update (no attribution lag), floor 5%, burn-in = the
 * first 2 updates, 10,000 draws. Regret = Σ over units of (best rate − its arm's rate): conversions lost
 * to the experiment. "Found" = the first update after which the best arm gets the most new units
 * and keeps them to the end. Medians over runs; Markdown on stdout.
 */
import { allocate, thompsonWeights } from '../src/experiments/thompson.js';
import { binomial, mulberry32, type Rng } from '../src/stats/random.js';

const UPDATES = 100;
const PER_UPDATE = 200;
const BURN_IN = 2;
const FLOOR = 5;
const DRAWS = 10_000;

const SCENARIOS: { name: string; rates: number[] }[] = [
  { name: 'A/A 10% vs 10%', rates: [0.1, 0.1] },
  { name: '10% vs 11% (+10%)', rates: [0.1, 0.11] },
  { name: '10% vs 12% (+20%)', rates: [0.1, 0.12] },
  { name: 'control better: 12% vs 10%', rates: [0.12, 0.1] },
  { name: '10% vs 15% (+50%)', rates: [0.1, 0.15] },
  { name: '3 arms 10/11/13%', rates: [0.1, 0.11, 0.13] },
];

interface Run {
  regret: number;
  found: number | null;
  bestShareEnd: number;
}

function run(rates: readonly number[], rnd: Rng, bandit: boolean): Run {
  const k = rates.length;
  const best = Math.max(...rates);
  const bestArm = rates.indexOf(best);
  const units = rates.map(() => 0);
  const conv = rates.map(() => 0);
  let percents = allocate(
    rates.map(() => 1),
    rates.map(() => true),
    FLOOR,
  );
  // The fixed split's lanes: equal shares (the bandit's lane cap does not bind at equal weights).
  let regret = 0;
  let found: number | null = null;
  for (let u = 0; u < UPDATES; u++) {
    // Multinomial split of the new units by the live percents, then their conversions.
    let left = PER_UPDATE;
    let pLeft = 1;
    for (let i = 0; i < k; i++) {
      const p = percents[i]! / 100;
      const n = i === k - 1 ? left : binomial(rnd, left, Math.min(1, p / pLeft));
      left -= n;
      pLeft -= p;
      units[i]! += n;
      conv[i]! += binomial(rnd, n, rates[i]!);
      regret += n * (best - rates[i]!);
    }
    if (!bandit || u + 1 < BURN_IN) continue;
    const evidence = rates.map((_, i) => ({ arm: String(i), units: units[i]!, conversions: conv[i]!, open: true }));
    percents = thompsonWeights(evidence, { draws: DRAWS, floor: FLOOR, rnd }).map((a) => a.percent);
    const leads = percents[bestArm]! >= Math.max(...percents);
    if (leads && found === null) found = (u + 1) * PER_UPDATE;
    if (!leads) found = null;
  }
  return { regret, found, bestShareEnd: percents[bestArm]! };
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : s[Math.floor((s.length - 1) / 2)]!;
};

function main(argv: readonly string[]): void {
  const flag = (name: string, dflt: number) => {
    const i = argv.indexOf(`--${name}`);
    return i >= 0 ? Number(argv[i + 1]) : dflt;
  };
  const runs = flag('runs', 20);
  const seed = flag('seed', 1);
  const lines = [
    `Bandit bench: ${runs} runs × ${UPDATES * PER_UPDATE} units (${UPDATES} updates × ${PER_UPDATE}), floor ${FLOOR}%, burn-in ${BURN_IN} updates, seed ${seed}; medians`,
    '',
    '| scenario | regret fixed split | regret bandit | bandit / fixed | units to find the best arm: median, max (runs found) | best arm share at the end |',
    '|---|---:|---:|---:|---:|---:|',
  ];
  for (const sc of SCENARIOS) {
    const fixed: Run[] = [];
    const bandit: Run[] = [];
    for (let r = 0; r < runs; r++) {
      fixed.push(run(sc.rates, mulberry32(seed * 1000 + r), false));
      bandit.push(run(sc.rates, mulberry32(seed * 1000 + r), true));
    }
    const fr = median(fixed.map((x) => x.regret));
    const br = median(bandit.map((x) => x.regret));
    const found = bandit.filter((x) => x.found !== null).map((x) => x.found!);
    const aa = Math.max(...sc.rates) === Math.min(...sc.rates);
    lines.push(
      `| ${sc.name} | ${fr.toFixed(0)} | ${br.toFixed(0)} | ${aa ? '—' : (br / fr).toFixed(2)} | ${aa ? '— (no best arm)' : `${found.length ? `${median(found)}, ${Math.max(...found)}` : '—'} (${found.length}/${runs})`} | ${aa ? '—' : `${median(bandit.map((x) => x.bestShareEnd)).toFixed(0)}%`} |`,
    );
  }
  // Cost on the proxy's event loop (a timer, not a request): the runtime draws in slices of 500 and
  // yields between them, so the longest stall is one slice; the whole update is the sum.
  const rnd = mulberry32(seed);
  lines.push('');
  for (const k of [2, 3, 5]) {
    const evidence = Array.from({ length: k }, (_, i) => ({ arm: String(i), units: 10_000, conversions: 1000 + 10 * i, open: true }));
    const reps = 20;
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) thompsonWeights(evidence, { draws: DRAWS, floor: FLOOR, rnd });
    const whole = (performance.now() - t0) / reps;
    lines.push(
      `one update, ${k} arms, ${DRAWS} draws: ${whole.toFixed(2)} ms in all, ${((whole * 500) / DRAWS).toFixed(2)} ms per 500-draw slice`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

main(process.argv.slice(2));
