// Ring-buffer windows against a brute-force sum, and the service-wide burn-rate rules.
import { describe, expect, it } from 'vitest';
import { DEFAULT_BURN_RULES, DETECTOR_ARL, advanceDetector, burnEvidence, burnRate } from '../../../src/guardrails/burn.js';
import { createArmWindows, type WindowTotals } from '../../../src/guardrails/windows.js';
import { mulberry32 } from './sim.js';

const S0 = 1_800_000_000;

describe('createArmWindows', () => {
  it('matches a brute-force sum over random traffic with gaps and late events', () => {
    const lengths = [5, 60, 300];
    const w = createArmWindows(lengths);
    const log: [number, number, number][] = [];
    const rnd = mulberry32(5);
    let now = S0;
    for (let i = 0; i < 3000; i++) {
      now += rnd() < 0.05 ? Math.floor(rnd() * 90) : rnd() < 0.5 ? 1 : 0;
      const sec = rnd() < 0.1 ? now - Math.floor(rnd() * 10) : now;
      const r = 1 + Math.floor(rnd() * 5);
      const b = Math.floor(rnd() * 2);
      w.add(sec, r, b, 0, 0);
      log.push([sec, r, b]);
      if (i % 97 === 0) {
        w.advance(now);
        for (const L of lengths) {
          const brute = log
            .filter(([s]) => s > now - L && s <= now && s > now - 300)
            .reduce((a, [, rr, bb]) => [a[0]! + rr, a[1]! + bb], [0, 0]);
          expect([w.totals(L).requests, w.totals(L).bad]).toEqual(brute);
        }
      }
    }
  });

  it('expires everything after a gap longer than the ring', () => {
    const w = createArmWindows([60]);
    w.add(S0, 10, 1, 1, 0);
    w.advance(S0 + 59);
    expect(w.totals(60).requests).toBe(10);
    w.advance(S0 + 60);
    expect(w.totals(60)).toEqual({ requests: 0, bad: 0, slow: 0, capped: 0 });
    w.add(S0 + 1000, 1, 0, 0, 0);
    expect(w.totals(60).requests).toBe(1);
  });

  it('round-trips through a snapshot', () => {
    const w = createArmWindows([10, 30]);
    for (let s = 0; s < 50; s++) w.add(S0 + s, s, s % 3, s % 2, s % 5 === 0 ? 1 : 0);
    const copy = createArmWindows([10, 30], JSON.parse(JSON.stringify(w.snapshot())));
    for (const L of [10, 30]) expect(copy.totals(L)).toEqual(w.totals(L));
    w.advance(S0 + 60);
    copy.advance(S0 + 60);
    expect(copy.totals(30)).toEqual(w.totals(30));
  });
});

describe('service-wide burn rules', () => {
  const rule = DEFAULT_BURN_RULES[0]!;
  const win = (requests: number, bad: number): WindowTotals => ({ requests, bad, slow: 0, capped: 0 });

  it('burn rate = observation rate / budget', () => {
    expect(burnRate(win(1000, 20), 0.01)).toBeCloseTo(2, 12);
    expect(burnRate(win(0, 0), 0.01)).toBeNull();
  });

  it('fires only with a full long window, both windows ≥ factor and the detector over its threshold', () => {
    const hot = { long: win(10_000, 2000), short: win(2000, 400) };
    const cold = { logG: [0, 0, 0], firing: false };
    const proven = { logG: [Math.log(DETECTOR_ARL) + 2, 0, 0], firing: false };
    // Everything above its factor but the detector below threshold: not firing, and the reading says why.
    const a = burnEvidence(rule, 0.01, hot, win(100, 20), win(9900, 1980), cold, rule.longMs);
    expect(a.pooledLong).toBeGreaterThan(rule.factor);
    expect(a).toMatchObject({ windowFull: true, firing: false });
    expect(a.detectorLogE).toBeLessThan(a.detectorLogThreshold);
    // The reading names what holds it back, with the numbers; nothing else is blamed.
    expect(a.heldBack).toEqual([expect.stringMatching(/^detector ln e 0 below 13\.8 \(a false alarm at most every 1000000 s/)]);
    // Window not full yet: not firing, and said so.
    const early = burnEvidence(rule, 0.01, hot, win(100, 20), win(9900, 1980), proven, rule.longMs - 60_000);
    expect(early).toMatchObject({ firing: false, evidenceMs: rule.longMs - 60_000 });
    expect(early.heldBack).toEqual(['long window not full: 240 s of evidence, needs 300 s']);
    const firing = burnEvidence(rule, 0.01, hot, win(100, 20), win(9900, 1980), proven, rule.longMs);
    expect(firing).toMatchObject({ firing: true, heldBack: [] });
    const calm = burnEvidence(rule, 0.01, { long: win(10_000, 20), short: win(0, 0) }, win(100, 0), win(9900, 20), cold, rule.longMs);
    expect(calm.heldBack.slice(0, 2)).toEqual(['long-window burn 0.2 below the factor 14.4', 'no requests in the short window (60 s)']);
  });

  it('the detector grows under a burning service and falls back when it recovers', () => {
    const d = { logG: [0, 0, 0], firing: false };
    for (let t = 0; t < 60; t++) d.logG = advanceDetector(d, rule, 0.001, 50, 3);
    const hot = Math.max(...d.logG);
    expect(hot).toBeGreaterThan(Math.log(DETECTOR_ARL));
    for (let t = 0; t < 600; t++) d.logG = advanceDetector(d, rule, 0.001, 50, 0);
    expect(Math.max(...d.logG)).toBeLessThan(hot);
  });
});
