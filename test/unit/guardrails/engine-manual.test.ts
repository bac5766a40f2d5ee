// Manual actions: rollback, pause, resume, promote and reset, their decisions and what they do to the
// weights, the step clock and the evidence.
import { describe, expect, it } from 'vitest';
import { T0, drive, engineFor, guardrails, mulberry32, rollout } from './sim.js';

const busy = { rps: 2000, pControl: 0.02, pVariant: 0.02 };
const at = (s: number) => T0 + s * 1000;

describe('manual actions', () => {
  it('rollback → 0 %, sticky; a second rollback changes nothing', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    const [d] = engine.manual('rollback', at(10), { actor: 'alice' });
    expect(d).toMatchObject({ action: 'manual-rollback', rule: 'manual', actor: 'alice', fromPercent: 1, toPercent: 0 });
    expect(d!.reason).toBe('alice rolled v back from 1% to 0%; it stays there until resume or reset.');
    expect(engine.percent('v')).toBe(0);
    expect(engine.manual('rollback', at(11))).toEqual([]);
    expect(drive(engine, mulberry32(1), busy, 600, 20)).toEqual([]);
  });

  it('resume after a rollback restarts at step 1 with fresh evidence', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    drive(engine, mulberry32(2), { ...busy, pVariant: 0.5 }, 300, 0, (d) => d.action === 'rollback');
    expect(engine.state().variants[0]!.phase).toBe('rolled-back');
    const [d] = engine.manual('resume', at(400));
    expect(d).toMatchObject({ action: 'resume', fromPercent: 0, toPercent: 1 });
    const v = engine.state().variants[0]!;
    expect(v).toMatchObject({ phase: 'progressing', stepIndex: 0, percent: 1, stepStartedAt: at(400), breach: null });
    expect(v.evidence.variant.requests).toBe(0);
    expect(v.evidence.bad.variantEvents).toBe(0);
    expect(engine.state().windows.v!.buckets).toEqual([]);
    // Healthy now: it progresses again instead of being condemned by the old data.
    const out = drive(engine, mulberry32(3), busy, 600, 400, (x) => x.action === 'step');
    expect(out.map((o) => o.d.action)).toEqual(['step']);
  });

  it('pause freezes the weight while guardrails keep watching; resume continues from the current step', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    drive(engine, mulberry32(4), busy, 600, 0, (d) => d.action === 'step');
    expect(engine.percent('v')).toBe(5);
    expect(engine.manual('pause', at(700))[0]).toMatchObject({ action: 'pause', fromPercent: 5, toPercent: 5 });
    expect(drive(engine, mulberry32(5), busy, 1800, 700)).toEqual([]);
    expect(engine.percent('v')).toBe(5);
    const [d] = engine.manual('resume', at(2600), { actor: 'bob' });
    expect(d).toMatchObject({ action: 'resume', toPercent: 5 });
    expect(engine.state().variants[0]).toMatchObject({ phase: 'progressing', stepIndex: 1, stepStartedAt: at(2600) });
    const out = drive(engine, mulberry32(6), busy, 600, 2600, (x) => x.action === 'step');
    expect(out[0]!.t).toBeGreaterThanOrEqual(2600 + 120);
    expect(out[0]!.d).toMatchObject({ fromPercent: 5, toPercent: 25 });
  });

  it('a paused variant that breaches is still rolled back', () => {
    const engine = engineFor({ splitPercent: { v: 5 } });
    engine.manual('pause', at(0));
    const out = drive(engine, mulberry32(7), { rps: 100, pControl: 0.005, pVariant: 0.5 }, 300);
    expect(out.map((o) => o.d.action)).toEqual(['rollback']);
  });

  it('resume after a breach pause acknowledges it: the fail-fast test counts from then', () => {
    const engine = engineFor({ guardrails: guardrails({ onBreach: 'pause' }), splitPercent: { v: 5 } });
    const out = drive(engine, mulberry32(8), { rps: 100, pControl: 0.005, pVariant: 0.2 }, 120);
    expect(out.map((o) => o.d.action)).toEqual(['pause']);
    engine.manual('resume', at(200));
    expect(engine.state().variants[0]!.breach).toBeNull();
    expect(engine.inspect('v', at(200))!.tests[0]!.logE).toBeCloseTo(0, 9);
    // Fixed: healthy from here on, so no new breach.
    expect(drive(engine, mulberry32(9), { rps: 100, pControl: 0.005, pVariant: 0.005 }, 1200, 200)).toEqual([]);
  });

  it('promote jumps to the last step (or the whole lane without a rollout)', () => {
    const withRollout = engineFor({ rollout: rollout(), splitPercent: {} });
    expect(withRollout.manual('promote', at(5))[0]).toMatchObject({ action: 'manual-promote', fromPercent: 1, toPercent: 100 });
    expect(withRollout.state().variants[0]).toMatchObject({ phase: 'promoted', stepIndex: 4 });
    expect(withRollout.manual('promote', at(6))).toEqual([]);
    const two = engineFor({ variants: ['v', 'w'], splitPercent: { v: 10, w: 10 } });
    expect(two.manual('promote', at(5), { arm: 'w' })[0]).toMatchObject({ arm: 'w', toPercent: 50 });
    expect(two.weights()).toEqual({ v: 10, w: 50 });
    expect(two.percent('control')).toBe(40);
  });

  it('reset goes back to the initial step with fresh evidence', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    drive(engine, mulberry32(10), busy, 900, 0, (d) => d.toPercent === 25);
    const [d] = engine.manual('reset', at(1000));
    expect(d).toMatchObject({ action: 'reset', fromPercent: 25, toPercent: 1 });
    expect(engine.state().variants[0]!.evidence.control.requests).toBe(0);
  });

  it('resume while progressing is a no-op; manual on every variant when no arm is given', () => {
    const engine = engineFor({ variants: ['v', 'w'], splitPercent: { v: 5, w: 5 } });
    expect(engine.manual('resume', at(1))).toEqual([]);
    expect(engine.manual('rollback', at(2)).map((d) => d.arm)).toEqual(['v', 'w']);
    expect(engine.percent('control')).toBe(100);
  });
});
