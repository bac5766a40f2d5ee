// Ring-buffer windows against a brute-force sum, the per-key cap, and the burn-rate rules.
import { describe, expect, it } from 'vitest';
import { DEFAULT_BURN_RULES, MIN_BURN_EVENTS, burnEvidence, burnRate } from '../../../src/guardrails/burn.js';
import { createKeyCap, keyHash } from '../../../src/guardrails/key-cap.js';
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

describe('createKeyCap', () => {
  it('admits keyCap bad events per key per minute, then caps', () => {
    const caps = createKeyCap(3);
    const t = 60_000 * 1000;
    const admitted = Array.from({ length: 5 }, () => caps.admit(keyHash('alice'), t));
    expect(admitted).toEqual([true, true, true, false, false]);
    expect(caps.admit(keyHash('bob'), t)).toBe(true);
    expect(caps.admit(keyHash('alice'), t + 60_000)).toBe(true);
  });

  it('survives a snapshot without storing keys in the clear', () => {
    const caps = createKeyCap(1);
    caps.admit(keyHash('alice@example.com'), 0);
    const snap = JSON.stringify(caps.snapshot());
    expect(snap).not.toContain('alice');
    expect(createKeyCap(1, JSON.parse(snap)).admit(keyHash('alice@example.com'), 1)).toBe(false);
  });
});

const win = (requests: number, bad: number): WindowTotals => ({ requests, bad, slow: 0, capped: 0 });
const fast = DEFAULT_BURN_RULES[0]!;

describe('burn rules', () => {
  it('burn rate = error ratio / budget, capped events out of both', () => {
    expect(burnRate(win(1000, 20), 0.01)).toBeCloseTo(2, 12);
    expect(burnRate({ requests: 1000, bad: 20, slow: 0, capped: 500 }, 0.01)).toBeCloseTo(4, 12);
    expect(burnRate(win(0, 0), 0.01)).toBeNull();
  });

  it('fires only when both windows burn ≥ factor and the long window has enough bad events', () => {
    const control = { long: win(30_000, 150), short: win(6_000, 30) };
    expect(burnEvidence(fast, 0.01, 1.5, { long: win(100, 20), short: win(20, 5) }, control).firing).toBe(true);
    expect(burnEvidence(fast, 0.01, 1.5, { long: win(100, 20), short: win(20, 2) }, control).firing).toBe(false);
    expect(burnEvidence(fast, 0.01, 1.5, { long: win(10, MIN_BURN_EVENTS - 1), short: win(10, 4) }, control).firing).toBe(false);
  });

  it('is shared when the control burns within tolerance of the variant', () => {
    const variant = { long: win(100, 50), short: win(20, 10) };
    const broken = burnEvidence(fast, 0.01, 1.5, variant, { long: win(10_000, 4_000), short: win(2_000, 800) });
    expect(broken).toMatchObject({ firing: true, shared: true });
    const healthy = burnEvidence(fast, 0.01, 1.5, variant, { long: win(10_000, 50), short: win(2_000, 10) });
    expect(healthy).toMatchObject({ firing: true, shared: false });
  });
});
