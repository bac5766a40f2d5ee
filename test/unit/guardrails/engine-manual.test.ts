// Manual actions: promote/resume over breaching evidence need force; no-op actions are refused with a
// reason; the actor and the operator's note travel with the decision.
import { describe, expect, it } from 'vitest';
import { T0, drive, engineFor, guardrails, mulberry32, rollout } from './sim.js';

const dead = { rps: 50, pControl: 0.005, pVariant: 0.5 };

describe('manual actions', () => {
  it('rollback → 0 %, sticky; a second rollback is refused as no change', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    const first = engine.manual('rollback', T0, { actor: 'alice', note: 'pager' });
    expect(first.decisions[0]).toMatchObject({ action: 'manual-rollback', actor: 'alice', note: 'pager', toPercent: 0 });
    expect(first.decisions[0]!.reason).toMatch(/reason: pager\.$/);
    const second = engine.manual('rollback', T0 + 1);
    expect(second.decisions).toEqual([]);
    expect(second.refused).toEqual([{ arm: 'v', why: 'no-change', says: 'v is already rolled back' }]);
  });

  it('promote of a variant whose evidence breaches needs force, and is recorded as forced', () => {
    const engine = engineFor({ guardrails: guardrails({ onBreach: 'pause' }), rollout: rollout(), splitPercent: {} });
    drive(engine, mulberry32(1), dead, 600, 0, (d) => d.action === 'pause');
    expect(engine.state().variants[0]!.phase).toBe('paused');
    const refused = engine.manual('promote', T0 + 700_000, { actor: 'bob' });
    expect(refused.decisions).toEqual([]);
    expect(refused.refused[0]).toMatchObject({ why: 'breaching' });
    expect(refused.refused[0]!.says).toMatch(/needs --force/);
    const resume = engine.manual('resume', T0 + 700_000, { actor: 'bob' });
    expect(resume.refused[0]!.why).toBe('breaching');
    const forced = engine.manual('promote', T0 + 700_000, { actor: 'bob', note: 'hotfix verified', force: true });
    expect(forced.decisions[0]).toMatchObject({
      action: 'manual-promote',
      forced: true,
      actor: 'bob',
      note: 'hotfix verified',
      toPercent: 100,
    });
  });

  it('resume after a rollback restarts at step 1 with fresh evidence', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    drive(engine, mulberry32(2), dead, 600, 0, (d) => d.action === 'rollback');
    const { decisions } = engine.manual('resume', T0 + 700_000);
    expect(decisions[0]).toMatchObject({ action: 'resume', toPercent: 1 });
    expect(engine.inspect('v', T0 + 700_000)!.variant.requests).toBe(0);
  });

  it('pause and resume; resume while progressing is refused as no change', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    expect(engine.manual('resume', T0).refused[0]!.says).toBe('v is progressing; nothing to resume');
    expect(engine.manual('pause', T0).decisions[0]!.action).toBe('pause');
    expect(engine.manual('pause', T0).refused[0]!.why).toBe('no-change');
    expect(engine.manual('resume', T0 + 1).decisions[0]!.action).toBe('resume');
  });

  it('reset goes back to the initial step with fresh evidence', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    engine.manual('promote', T0);
    expect(engine.manual('reset', T0 + 1).decisions[0]).toMatchObject({ action: 'reset', fromPercent: 100, toPercent: 1 });
  });
});
