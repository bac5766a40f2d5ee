/**
 * The asymptotic confidence sequence's width against an independent implementation: Howard et
 * al. (2021) eq. (14), the two-sided normal-mixture boundary √((V + r)·log((V + r)/(r·α²))) on
 * Sₜ = t(μ̂ₜ − μ) with V = tσ² and r = σ²/ρ², evaluated with NumPy (python3, this machine).
 * Waudby-Smith et al. (2024) Thm 2.2 is that boundary divided by t; the two agree only if both
 * formulas are right.
 */
import { describe, expect, it } from 'vitest';
import { csMultiplier, fixedMultiplier, mixtureRho } from '../../../src/stats/confidence-sequence.js';

describe('mixtureRho (Waudby-Smith et al. eq. 2.7)', () => {
  it('matches NumPy for α = 0.05', () => {
    expect(mixtureRho(0.05, 1000)).toBeCloseTo(0.08908509752892212, 14);
    expect(mixtureRho(0.05, 200)).toBeCloseTo(0.1992003338568684, 14);
    expect(mixtureRho(0.05, 2000 * 50)).toBeCloseTo(0.06299267656536578 / Math.sqrt(50), 14);
  });
});

describe('csMultiplier', () => {
  it.each([
    [1000, 1000, 3.0352089903762525],
    [200, 200, 3.0352089903762525],
    [10, 200, 4.718793463117083],
    [5000, 200, 3.3680387135971728],
    [100000, 2000, 3.465200978483295],
  ])('t = %d, tuned for %d: %d standard errors, as Howard et al.’s boundary gives', (t, tStar, want) => {
    expect(csMultiplier(t, mixtureRho(0.05, tStar), 0.05)).toBeCloseTo(want, 12);
  });

  it('α = 0.01 at its planned size', () => {
    expect(csMultiplier(1000, mixtureRho(0.01, 500), 0.01)).toBeCloseTo(3.595604799132874, 12);
  });

  it('is wider than the fixed-horizon interval at every t (the price of peeking), and infinite at t = 0', () => {
    const rho = mixtureRho(0.05, 200);
    for (const t of [1, 10, 100, 200, 1e4, 1e6]) expect(csMultiplier(t, rho, 0.05)).toBeGreaterThan(fixedMultiplier(0.05));
    expect(csMultiplier(0, rho, 0.05)).toBe(Infinity);
  });
});
