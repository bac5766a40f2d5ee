/**
 * Seeded randomness shared by the decisions bench and the simulation tests (one generator, so a test and
 * the bench replay identical traffic for a seed): mulberry32 and Poisson draws (inversion for small means,
 * Hörmann's PTRS transformed rejection for large ones, as in numpy), so a whole hour of traffic is a
 * few draws per second instead of one object per request.
 */

/** A uniform [0, 1) generator. */
export type Rng = () => number;

/**
 * mulberry32: tiny, fast, good enough for simulation.
 * @example const rnd = mulberry32(42); rnd() // 0.6011…
 */
export function mulberry32(seed: number): Rng {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A Poisson(λ) draw.
 * @example poisson(rnd, 0.5) // 0, 1, 2 …
 */
export function poisson(rnd: Rng, lambda: number): number {
  if (!(lambda > 0)) return 0;
  if (lambda < 10) {
    // Inversion by sequential search: about λ + 1 uniforms.
    const limit = Math.exp(-lambda);
    let k = 0;
    let p = rnd();
    while (p > limit) {
      k++;
      p *= rnd();
    }
    return k;
  }
  return ptrs(rnd, lambda);
}

/** Hörmann (1993) PTRS, valid for λ ≥ 10. */
function ptrs(rnd: Rng, lam: number): number {
  const slam = Math.sqrt(lam);
  const loglam = Math.log(lam);
  const b = 0.931 + 2.53 * slam;
  const a = -0.059 + 0.02483 * b;
  const invalpha = 1.1239 + 1.1328 / (b - 3.4);
  const vr = 0.9277 - 3.6224 / (b - 2);
  for (;;) {
    const u = rnd() - 0.5;
    const v = rnd();
    const us = 0.5 - Math.abs(u);
    const k = Math.floor(((2 * a) / us + b) * u + lam + 0.43);
    if (us >= 0.07 && v <= vr) return k;
    if (k < 0 || (us < 0.013 && v > us)) continue;
    if (Math.log(v) + Math.log(invalpha) - Math.log(a / (us * us) + b) <= -lam + k * loglam - logFactorial(k)) return k;
  }
}

/** ln k!, exact below 20, Stirling series above. */
function logFactorial(k: number): number {
  if (k < 20) {
    let s = 0;
    for (let i = 2; i <= k; i++) s += Math.log(i);
    return s;
  }
  const x = k + 1;
  return (x - 0.5) * Math.log(x) - x + 0.5 * Math.log(2 * Math.PI) + 1 / (12 * x) - 1 / (360 * x ** 3);
}

/**
 * A Binomial(n, p) draw for small n·p (inversion); used for Flagger's per-minute failures.
 * @example binomial(rnd, 30, 0.005)
 */
export function binomial(rnd: Rng, n: number, p: number): number {
  if (n <= 0 || p <= 0) return 0;
  if (p >= 1) return n;
  if (n * p > 30) return Math.max(0, Math.min(n, Math.round(n * p + Math.sqrt(n * p * (1 - p)) * normal(rnd))));
  const q = 1 - p;
  let pk = q ** n;
  let cdf = pk;
  const u = rnd();
  let k = 0;
  while (u > cdf && k < n) {
    pk *= ((n - k) / (k + 1)) * (p / q);
    cdf += pk;
    k++;
  }
  return k;
}

function normal(rnd: Rng): number {
  return Math.sqrt(-2 * Math.log(1 - rnd())) * Math.cos(2 * Math.PI * rnd());
}
