// rollout.holdback: promotion keeps the holdback's share on control (the top of the lane no step
// reached, so the same units throughout), the release is a stored decision once holdbackFor has
// passed (fake clock), an operator's second promote releases it early, the state survives a
// restart, and a reset holds back again at the next promotion.
import { describe, expect, it } from 'vitest';
import { armForBucket, buildRanges } from '../../../src/routing/assign.js';
import { BUCKETS } from '../../../src/routing/hash.js';
import { T0, drive, engineFor, mulberry32, rollout } from './sim.js';

const DAY = 86_400_000;

describe('holdback', () => {
  it('promotes to 100 − holdback, then releases after holdbackFor with a decision', () => {
    const engine = engineFor({ rollout: rollout({ minBake: '1m', holdback: '5%', holdbackFor: '14d' }), splitPercent: {} });
    const out = drive(engine, mulberry32(1), { rps: 5000, pControl: 0.01, pVariant: 0.01 }, 4 * 3600, 0, (d) => d.action === 'promote');
    const promote = out.at(-1)!;
    expect(promote.d).toMatchObject({ action: 'promote', toPercent: 95 });
    expect(promote.d.reason).toMatch(/promoting to 95%, holding back 5% of units on control for 14d\.$/);
    expect(engine.percent('control')).toBe(5);
    const promotedAt = T0 + promote.t * 1000;
    // Nothing happens before the period ends …
    expect(engine.evaluate(promotedAt + 14 * DAY - 1000)).toEqual([]);
    expect(engine.percent('v')).toBe(95);
    // … then the release, once.
    const [release, ...rest] = engine.evaluate(promotedAt + 14 * DAY + 1000);
    expect(rest).toEqual([]);
    expect(release).toMatchObject({ action: 'release', rule: 'holdback-elapsed', fromPercent: 95, toPercent: 100 });
    expect(release!.reason).toMatch(/^the holdback of 5% ran its 14d since promotion \(.+\): released, v 95% → 100%\.$/);
    expect(engine.evaluate(promotedAt + 15 * DAY)).toEqual([]);
    expect(engine.state().variants[0]).toMatchObject({ promotedAt, holdbackReleasedAt: promotedAt + 14 * DAY + 1000 });
  });

  it('keeps the same units on control from the first step to the release: nobody flips back', () => {
    // The weights a variant goes through: steps, the holdback, the release.
    const layouts = [1, 5, 25, 50, 95, 100].map((p) => buildRanges([p]));
    for (let b = 0; b < BUCKETS; b++) {
      const arms = layouts.map((r) => armForBucket(r, b));
      // Once in the variant, always in the variant.
      const first = arms.indexOf(1);
      if (first !== -1) expect(arms.slice(first).every((a) => a === 1)).toBe(true);
      // The holdback units are exactly the top 5% of the bucket space: control until the release.
      expect(arms[4] === 0).toBe(b >= 9500);
    }
  });

  it('splits the holdback across the lanes of several variants', () => {
    const engine = engineFor({ rollout: rollout({ steps: [10, 50], holdback: 10 }), variants: ['v', 'w'], splitPercent: {} });
    engine.manual('promote', T0);
    expect(engine.weights()).toEqual({ v: 45, w: 45 });
    expect(engine.percent('control')).toBe(10);
  });

  it('without holdbackFor it holds until an operator promotes again; that releases it', () => {
    const engine = engineFor({ rollout: rollout({ holdback: 10 }), splitPercent: {} });
    const first = engine.manual('promote', T0, { actor: 'alice' });
    expect(first.decisions[0]).toMatchObject({ action: 'manual-promote', toPercent: 90 });
    expect(first.decisions[0]!.reason).toMatch(/holding back 10% of units on control until an operator promotes again/);
    expect(engine.evaluate(T0 + 365 * DAY)).toEqual([]);
    const again = engine.manual('promote', T0 + 365 * DAY, { actor: 'bob' });
    expect(again.decisions[0]).toMatchObject({ action: 'manual-promote', fromPercent: 90, toPercent: 100 });
    expect(again.decisions[0]!.reason).toMatch(/bob released v's holdback of 10%: 90% → 100%/);
    expect(engine.manual('promote', T0 + 366 * DAY).refused[0]!.why).toBe('no-change');
  });

  it('survives a restart mid-holdback, and a reset holds back again at the next promotion', () => {
    const cfg = { rollout: rollout({ holdback: 5, holdbackFor: '1d' }), splitPercent: {} };
    const engine = engineFor(cfg);
    engine.manual('promote', T0);
    const restored = engineFor(cfg, JSON.parse(JSON.stringify(engine.state())), T0 + 1000);
    expect(restored.percent('v')).toBe(95);
    expect(restored.evaluate(T0 + DAY + 1000).map((d) => d.action)).toEqual(['release']);
    expect(restored.percent('v')).toBe(100);
    restored.manual('reset', T0 + 2 * DAY);
    expect(restored.state().variants[0]).toMatchObject({ promotedAt: null, holdbackReleasedAt: null, percent: 1 });
    restored.manual('promote', T0 + 3 * DAY);
    expect(restored.percent('v')).toBe(95);
  });

  it('pause → promote continues the same promotion: a released holdback stays released, a running one keeps its clock', () => {
    const cfg = { rollout: rollout({ holdback: 10, holdbackFor: '1h' }), splitPercent: {} };
    const engine = engineFor(cfg);
    engine.manual('promote', T0);
    expect(engine.evaluate(T0 + 3_600_000 + 1000).map((d) => d.action)).toEqual(['release']);
    engine.manual('pause', T0 + 2 * 3_600_000);
    const again = engine.manual('promote', T0 + 3 * 3_600_000);
    expect(again.decisions[0]).toMatchObject({ action: 'manual-promote', fromPercent: 100, toPercent: 100 });
    expect(engine.percent('v')).toBe(100);
    // Mid-holdback: pausing and promoting doesn't restart (extend) the clock.
    const held = engineFor(cfg);
    held.manual('promote', T0);
    held.manual('pause', T0 + 1000);
    held.manual('promote', T0 + 2000);
    expect(held.state().variants[0]).toMatchObject({ promotedAt: T0, holdbackReleasedAt: null, percent: 90 });
    expect(held.evaluate(T0 + 3_600_000 + 1000).map((d) => d.action)).toEqual(['release']);
    // After a rollback, a promotion is a new one: its holdback applies again (units are all on control).
    held.manual('rollback', T0 + 4 * 3_600_000);
    held.manual('promote', T0 + 5 * 3_600_000);
    expect(held.state().variants[0]).toMatchObject({ promotedAt: T0 + 5 * 3_600_000, holdbackReleasedAt: null, percent: 90 });
  });
});
