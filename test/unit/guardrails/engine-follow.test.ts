// Weights owned by the bandit (engine.follow): the engine reports and keeps the share it is told is
// served; a breach that is no rollback leaves that share; its tests still catch a bad variant at a
// share far from the config's split (they read the shares each second had); a rollback still wins.
import { describe, expect, it } from 'vitest';
import { T0, drive, engineFor, guardrails, mulberry32 } from './sim.js';

const dead = { rps: 50, pControl: 0.005, pVariant: 0.5 };

describe('engine.follow (bandit-owned weights)', () => {
  it('reports the followed share, clamped to the lane, instead of the split', () => {
    const engine = engineFor({ splitPercent: { v: 10 } });
    expect(engine.percent('v')).toBe(10);
    engine.follow({ v: 95 });
    expect([engine.percent('v'), engine.percent('control')]).toEqual([95, 5]);
    expect(engine.state().variants[0]!.percent).toBe(95);
    engine.follow({ v: 140 });
    expect(engine.percent('v')).toBe(100);
  });

  it.each([95, 5])('a pause on breach at a followed %d%% keeps that share, and the breach is still found', (share) => {
    const engine = engineFor({ guardrails: guardrails({ onBreach: 'pause' }), splitPercent: { v: 10 } });
    engine.follow({ v: share });
    const out = drive(engine, mulberry32(3), dead, 600, 0, (d) => d.action === 'pause');
    expect(out.at(-1)?.d).toMatchObject({ action: 'pause', fromPercent: share, toPercent: share });
    expect(engine.percent('v')).toBe(share);
  });

  it('a rolled-back variant stays at 0 whatever the bandit says next', () => {
    const engine = engineFor({ splitPercent: { v: 10 } });
    engine.follow({ v: 95 });
    expect(engine.manual('rollback', T0).decisions[0]).toMatchObject({ fromPercent: 95, toPercent: 0 });
    engine.follow({ v: 80 });
    expect(engine.percent('v')).toBe(0);
    expect(engine.phase('v')).toBe('rolled-back');
  });
});
