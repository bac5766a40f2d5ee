/**
 * The normal CDF and quantile against SciPy 1.17.1 (`scipy.stats.norm.cdf` / `.ppf`, computed
 * independently on this machine with `python3 -c "from scipy.stats import norm; print(norm.ppf(0.975))"`)
 * and the textbook table value z₀.₉₇₅ = 1.959963984540054.
 */
import { describe, expect, it } from 'vitest';
import { normalCdf, normalQuantile } from '../../../src/stats/normal.js';

const CDF: [number, number][] = [
  [-8, 6.22096057427174e-16],
  [-5, 2.866515718791933e-7],
  [-3, 0.0013498980316300933],
  [-1.96, 0.024997895148220435],
  [-1, 0.15865525393145707],
  [0, 0.5],
  [0.5, 0.6914624612740131],
  [1, 0.8413447460685429],
  [2, 0.9772498680518208],
  [3, 0.9986501019683699],
  [6, 0.9999999990134123],
];

const PPF: [number, number][] = [
  [1e-10, -6.361340902404056],
  [0.001, -3.090232306167813],
  [0.01, -2.3263478740408408],
  [0.02, -2.053748910631823],
  [0.025, -1.9599639845400545],
  [0.05, -1.6448536269514729],
  [0.1, -1.2815515655446004],
  [0.3, -0.5244005127080409],
  [0.5, 0],
  [0.7, 0.5244005127080407],
  [0.95, 1.6448536269514722],
  [0.975, 1.959963984540054],
  [0.99, 2.3263478740408408],
  [0.999, 3.090232306167813],
  [0.9995, 3.2905267314919255],
];

describe('normalCdf', () => {
  it.each(CDF)('Φ(%d) matches SciPy (1e-14 absolute, 1e-8 relative in the far tail)', (x, want) => {
    expect(Math.abs(normalCdf(x) - want)).toBeLessThan(1e-14);
    expect(Math.abs(normalCdf(x) - want) / want).toBeLessThan(1e-8);
  });
  it('is 0 far below, 1 far above, NaN for NaN', () => {
    expect(normalCdf(-40)).toBe(0);
    expect(normalCdf(40)).toBe(1);
    expect(normalCdf(Number.NaN)).toBeNaN();
  });
});

describe('normalQuantile', () => {
  it.each(PPF)('Φ⁻¹(%d) matches SciPy (1e-12 from p = 0.001 on, 1e-9 at 1e-10)', (p, want) => {
    expect(Math.abs(normalQuantile(p) - want)).toBeLessThan(p < 0.001 ? 1e-9 : 1e-12);
  });
  it('edges: ±Infinity at 0 and 1, NaN outside', () => {
    expect(normalQuantile(0)).toBe(-Infinity);
    expect(normalQuantile(1)).toBe(Infinity);
    expect(normalQuantile(1.5)).toBeNaN();
  });
});
