// One-sample rate tests against hand sums, and their direction.
import { describe, expect, it } from 'vitest';
import { detectorLogE, detectorStep, rateAboveLogE, rateBelowLogE } from '../../../src/guardrails/rate-test.js';

describe('rateAboveLogE', () => {
  it('equals the mixture of Bernoulli likelihood ratios', () => {
    let expected = 0;
    for (let k = 1; k <= 24; k++) {
      const q = 0.01 * 2 ** (k / 4);
      if (q < 1) expected += ((q / 0.01) ** 3 * ((1 - q) / 0.99) ** 97) / 24;
    }
    expect(Math.exp(rateAboveLogE(0.01, 100, 3))).toBeCloseTo(expected, 9);
  });

  it('proves a 4 % slow share above 1 % (p99 above the SLO), never a 0.8 % one', () => {
    expect(rateAboveLogE(0.01, 2000, 80)).toBeGreaterThan(Math.log(200));
    expect(rateAboveLogE(0.01, 100_000, 800)).toBeLessThan(0);
  });
});

describe('rateBelowLogE', () => {
  it('10 000 clean requests prove p < 0.1 %; 100 errors in 10 000 do not', () => {
    expect(rateBelowLogE(0.001, 10_000, 0)).toBeGreaterThan(Math.log(100));
    expect(rateBelowLogE(0.001, 10_000, 100)).toBeLessThan(0);
  });
});

describe('e-detector', () => {
  it('never goes below ln 1 per alternative before a second, and grows on excess', () => {
    let g = [0, 0, 0];
    g = detectorStep(g, 0.01, 100, 0);
    expect(detectorLogE(g)).toBeLessThan(0);
    for (let i = 0; i < 20; i++) g = detectorStep(g, 0.01, 100, 10);
    expect(detectorLogE(g)).toBeGreaterThan(Math.log(1e6));
  });
});
