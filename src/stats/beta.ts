/**
 * Gamma and Beta draws from a seeded uniform generator, for Thompson sampling: Marsaglia & Tsang
 * (2000) squeeze method for Gamma(k ≥ 1), boosted by U^(1/k) below 1, and Beta(a, b) = X / (X + Y)
 * with X ~ Gamma(a), Y ~ Gamma(b). Deterministic for a seed, so tests and the bench replay exactly.
 */
import type { Rng } from './random.js';

/** A standard normal draw (Box–Muller; the cosine half). */
function gaussian(rnd: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}

/**
 * A Gamma(shape, 1) draw, shape > 0.
 * @example gammaSample(mulberry32(1), 2.5)
 */
export function gammaSample(rnd: Rng, shape: number): number {
  if (shape < 1) return gammaSample(rnd, shape + 1) * (1 - rnd()) ** (1 / shape);
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = gaussian(rnd);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = 1 - rnd();
    if (u < 1 - 0.0331 * x ** 4) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

/**
 * A Beta(a, b) draw, a, b > 0.
 * @example betaSample(mulberry32(1), 1 + conversions, 1 + units - conversions)
 */
export function betaSample(rnd: Rng, a: number, b: number): number {
  const x = gammaSample(rnd, a);
  const y = gammaSample(rnd, b);
  return x / (x + y);
}
