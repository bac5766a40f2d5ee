// Pass slow: a healthy variant steps through the rollout and is promoted; too little traffic holds
// once at maxStep and never promotes; no traffic never decides anything but that hold.
import { describe, expect, it } from 'vitest';
import { T0, drive, engineFor, mulberry32, rollout } from './sim.js';

const steps = [1, 5, 25, 50, 100];

describe('pass slow', () => {
  it('a healthy variant steps 1 → 5 → 25 → 50 → 100 after minBake each and is promoted (ratio proven)', () => {
    const engine = engineFor({ rollout: rollout({ minBake: '2m' }), splitPercent: {} });
    expect(engine.percent('v')).toBe(1);
    // 2 % errors on both arms: too many to prove "below the 1 % budget", so only the ratio bound can pass.
    const out = drive(engine, mulberry32(21), { rps: 2000, pControl: 0.02, pVariant: 0.02 }, 3600, 0, (d) => d.action === 'promote');
    expect(out.map((o) => [o.d.action, o.d.fromPercent, o.d.toPercent])).toEqual([
      ['step', 1, 5],
      ['step', 5, 25],
      ['step', 25, 50],
      ['promote', 50, 100],
    ]);
    for (let i = 1; i < out.length; i++) expect(out[i]!.t - out[i - 1]!.t).toBeGreaterThanOrEqual(120);
    for (const { d } of out) {
      expect(d.rule).toBe('pass-slow');
      expect(d.evidence.tests[0]!.rhoUpper).toBeLessThanOrEqual(1.5);
      expect(d.reason).toMatch(/ρ < [\d.]+ with 99% confidence \(tolerance 1\.5\)/);
    }
    expect(engine.state().variants[0]).toMatchObject({ phase: 'promoted', percent: 100, stepIndex: 4 });
    expect(drive(engine, mulberry32(22), { rps: 2000, pControl: 0.02, pVariant: 0.02 }, 600, 4000)).toEqual([]);
  });

  it('rare errors: the variant passes on its own rate proven below the budget', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    const out = drive(engine, mulberry32(23), { rps: 500, pControl: 0.001, pVariant: 0.001 }, 7200, 0, (d) => d.action === 'promote');
    expect(out.map((o) => o.d.action)).toEqual(['step', 'step', 'step', 'promote']);
    expect(out[0]!.d.reason).toMatch(/proven below its budget 1%/);
  });

  it("evidence carries across steps: the 5% step passes on the 1% step's evidence plus its own", () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    const out = drive(engine, mulberry32(24), { rps: 2000, pControl: 0.02, pVariant: 0.02 }, 3600, 0, (d) => d.toPercent === 25);
    const [first, second] = out.map((o) => o.d.evidence.tests[0]!);
    expect(second!.variantEvents).toBeGreaterThan(first!.variantEvents);
    expect(second!.controlEvents).toBeGreaterThan(first!.controlEvents);
  });

  it('too little traffic → one hold at maxStep, no promotion, still evaluating', () => {
    const engine = engineFor({ rollout: rollout({ maxStep: '30m' }), splitPercent: {} });
    const out = drive(engine, mulberry32(25), { rps: 5, pControl: 0.005, pVariant: 0.005 }, 3 * 3600);
    expect(out.map((o) => o.d.action)).toEqual(['hold']);
    // The step clock starts at the first evaluation (second 1), so maxStep ends at second 1801.
    expect(out[0]!.t).toBe(1801);
    expect(out[0]!.d).toMatchObject({ rule: 'max-step-inconclusive', fromPercent: 1, toPercent: 1, severity: 'warn' });
    expect(out[0]!.d.reason).toMatch(/^30m at 1% \(maxStep 30m\) without a verdict: only \d+ variant requests \(minSamples 200\)/);
    expect(engine.state().variants[0]!.phase).toBe('holding');
  });

  it('no traffic at all is neither pass nor fail: only the maxStep hold', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    const decisions = [];
    for (let t = 1; t <= 4 * 3600; t++) decisions.push(...engine.evaluate(T0 + t * 1000));
    expect(decisions.map((d) => [d.action, d.at - T0])).toEqual([['hold', 1_801_000]]);
  });

  it('a holding variant advances once the traffic comes', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    const quiet = drive(engine, mulberry32(26), { rps: 0, pControl: 0, pVariant: 0 }, 1900);
    expect(quiet.map((o) => o.d.action)).toEqual(['hold']);
    const busy = drive(engine, mulberry32(27), { rps: 2000, pControl: 0.02, pVariant: 0.02 }, 1800, 1900, (d) => d.action === 'step');
    expect(busy.map((o) => o.d.action)).toEqual(['step']);
    expect(engine.state().variants[0]).toMatchObject({ phase: 'progressing', stepIndex: 1, percent: 5 });
  });

  it('a bad variant is rolled back mid-rollout from its current step', () => {
    const engine = engineFor({ rollout: rollout({ steps }), splitPercent: {} });
    const out = drive(engine, mulberry32(28), { rps: 200, pControl: 0.005, pVariant: 0.3 }, 600, 0, (d) => d.action === 'rollback');
    expect(out.at(-1)!.d).toMatchObject({ action: 'rollback', fromPercent: 1, toPercent: 0 });
  });

  it('without a rollout the variant stays at its split', () => {
    const engine = engineFor({ splitPercent: { v: 10 } });
    expect(drive(engine, mulberry32(29), { rps: 2000, pControl: 0.02, pVariant: 0.02 }, 1800)).toEqual([]);
    expect(engine.percent('v')).toBe(10);
    expect(engine.percent('control')).toBe(90);
    expect(engine.state().variants[0]!.phase).toBe('idle');
  });
});
