/**
 * A/A and power simulations of the default interval (the asymptotic confidence sequence), watched
 * after every single unit — the worst case of peeking. Seeded, so the numbers below are exact and
 * the README quotes them. A fixed-horizon z interval watched the same way is shown to fail, which is
 * what makes the first test mean something.
 */
import { describe, expect, it } from 'vitest';
import { MIN_INTERVAL_UNITS } from '../../../src/experiments/analysis.js';
import { csMultiplier, fixedMultiplier, mixtureRho } from '../../../src/stats/confidence-sequence.js';
import { lift } from '../../../src/stats/lift.js';
import { mulberry32, poisson, type Rng } from '../../../src/stats/random.js';

const ALPHA = 0.05;
const EXPERIMENTS = 1000;
const UNITS = 2000;

/** Share of experiments whose interval ever excluded 0 while watched after every unit. */
function everSignificant(opts: {
  seed: number;
  draw: (rnd: Rng, arm: number) => number;
  multiplier: (t: number) => number;
  units?: number;
}): number {
  const rnd = mulberry32(opts.seed);
  let hits = 0;
  for (let e = 0; e < EXPERIMENTS; e++) {
    const s = [
      { units: 0, sum: 0, sumSq: 0 },
      { units: 0, sum: 0, sumSq: 0 },
    ];
    for (let t = 1; t <= (opts.units ?? UNITS); t++) {
      const arm = rnd() < 0.5 ? 0 : 1;
      const y = opts.draw(rnd, arm);
      const a = s[arm]!;
      a.units++;
      a.sum += y;
      a.sumSq += y * y;
      if (s[0]!.units < MIN_INTERVAL_UNITS || s[1]!.units < MIN_INTERVAL_UNITS) continue;
      const l = lift(s[0]!, s[1]!);
      if (l && Math.abs(l.absolute) > opts.multiplier(t) * l.absoluteSe) {
        hits++;
        break;
      }
    }
  }
  return hits / EXPERIMENTS;
}

const rho = mixtureRho(ALPHA, 2 * 100);
const cs = (t: number) => csMultiplier(t, rho, ALPHA);

describe('A/A: 1,000 experiments × 2,000 units, looked at after every unit', () => {
  it('conversion (p = 0.10): the confidence sequence declares at most α of them significant', () => {
    const share = everSignificant({ seed: 1, draw: (rnd) => (rnd() < 0.1 ? 1 : 0), multiplier: cs });
    expect(share).toBeLessThanOrEqual(ALPHA);
    expect(share).toMatchInlineSnapshot(`0.025`);
  });

  it('count (Poisson, mean 2): at most α', () => {
    const share = everSignificant({ seed: 2, draw: (rnd) => poisson(rnd, 2), multiplier: cs });
    expect(share).toBeLessThanOrEqual(ALPHA);
    expect(share).toMatchInlineSnapshot(`0.044`);
  });

  it('value (skewed: 5% of units spend an exponential amount, mean 50): at most α', () => {
    const share = everSignificant({ seed: 3, draw: (rnd) => (rnd() < 0.05 ? -50 * Math.log(1 - rnd()) : 0), multiplier: cs });
    expect(share).toBeLessThanOrEqual(ALPHA);
    expect(share).toMatchInlineSnapshot(`0.006`);
  });

  it('the fixed-horizon z interval watched the same way is fooled far more often than α (why it is not the default)', () => {
    const z = fixedMultiplier(ALPHA);
    const share = everSignificant({ seed: 1, draw: (rnd) => (rnd() < 0.1 ? 1 : 0), multiplier: () => z });
    expect(share).toBeGreaterThan(3 * ALPHA);
    expect(share).toMatchInlineSnapshot(`0.395`);
  });
});

describe('power for a planted lift', () => {
  const planted = (rnd: Rng, arm: number) => (rnd() < (arm === 1 ? 0.13 : 0.1) ? 1 : 0);

  it('conversion 10% → 13% (+30% relative), 4,000 units, planned for 4,000 (minUnits 2000): power', () => {
    const tuned = mixtureRho(ALPHA, 4000);
    const share = everSignificant({ seed: 4, units: 4000, draw: planted, multiplier: (t) => csMultiplier(t, tuned, ALPHA) });
    expect(share).toBeGreaterThan(0.5);
    expect(share).toMatchInlineSnapshot(`0.582`);
  });

  it('the same with the default tuning (minUnits 100): power', () => {
    const share = everSignificant({ seed: 4, units: 4000, draw: planted, multiplier: cs });
    expect(share).toBeGreaterThan(0.4);
    expect(share).toMatchInlineSnapshot(`0.497`);
  });

  it('the fixed-horizon z interval read once at 4,000 units: power (the price of peeking safely)', () => {
    const z = fixedMultiplier(ALPHA);
    const share = everSignificant({ seed: 4, units: 4000, draw: planted, multiplier: (t) => (t === 4000 ? z : Infinity) });
    expect(share).toBeGreaterThan(0.75);
    expect(share).toMatchInlineSnapshot(`0.833`);
  });

  it('conversion 10% → 13% with 6,000 units planned for 6,000: the confidence sequence reaches 80% power', () => {
    const tuned = mixtureRho(ALPHA, 6000);
    const share = everSignificant({ seed: 5, units: 6000, draw: planted, multiplier: (t) => csMultiplier(t, tuned, ALPHA) });
    expect(share).toBeGreaterThan(0.8);
    expect(share).toMatchInlineSnapshot(`0.824`);
  });
});
