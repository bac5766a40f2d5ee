// Pass slow from the current step's evidence: stepping needs bake, samples and a bound from this step;
// a break right after a step is caught and never promoted; inconclusive steps hold and say why; a
// lowered plan is clamped and recorded.
import { describe, expect, it } from 'vitest';
import { T0, crowd, drive, engineFor, mulberry32, rollout } from './sim.js';

const S = T0 / 1000;

describe('pass slow', () => {
  it('a healthy variant with plenty of traffic steps 1 → 5 → 25 → 50 → 100 and is promoted', () => {
    const engine = engineFor({ rollout: rollout({ minBake: '1m' }), splitPercent: {} });
    const out = drive(engine, mulberry32(1), { rps: 5000, pControl: 0.01, pVariant: 0.01 }, 4 * 3600, 0, (d) => d.action === 'promote');
    expect(out.map((o) => o.d.action)).toEqual(['step', 'step', 'step', 'promote']);
    expect(out.map((o) => o.d.toPercent)).toEqual([5, 25, 50, 100]);
    for (const o of out) expect(o.d.reason).toMatch(/from this step's evidence alone: bad-event ratio < [\d.]+ with 99% confidence/);
  });

  it('needs evidence from the current step: the bound restarts at every step', () => {
    const engine = engineFor({ rollout: rollout({ minBake: '1m' }), splitPercent: {} });
    const [first] = drive(engine, mulberry32(2), { rps: 5000, pControl: 0.01, pVariant: 0.01 }, 3600, 0, (d) => d.action === 'step');
    expect(first!.d.toPercent).toBe(5);
    const ev = engine.inspect('v', T0 + first!.t * 1000)!;
    expect(ev.stepVariant.requests).toBe(0);
    expect(ev.bad.stepUpper).toBeNull();
    expect(ev.waiting.find((w) => w.what === 'bad-ratio')!.done).toBe(false);
  });

  it('rare errors: a step passes when the variant’s error rate is proven below a tenth of the budget', () => {
    const engine = engineFor({ rollout: rollout({ minBake: '1m' }), splitPercent: {} });
    const out = drive(engine, mulberry32(3), { rps: 2000, pControl: 0, pVariant: 0 }, 1800, 0, (d) => d.action === 'step');
    expect(out[0]!.d.reason).toMatch(/errors proven rare: variant rate below 0\.1% \(a tenth of the budget\)/);
  });

  it('a variant that breaks right after a step is rolled back before it can step again, never promoted', () => {
    const engine = engineFor({ rollout: rollout({ minBake: '2m' }), splitPercent: {} });
    const healthy = drive(engine, mulberry32(4), { rps: 5000, pControl: 0.005, pVariant: 0.005 }, 4 * 3600, 0, (d) => d.toPercent === 25);
    const t0 = healthy.at(-1)!.t;
    expect(engine.percent('v')).toBe(25);
    const broken = drive(engine, mulberry32(5), { rps: 5000, pControl: 0.005, pVariant: 0.01 }, 3600, t0, (d) => d.action === 'rollback');
    expect(broken.map((o) => o.d.action)).toEqual(['rollback']);
    expect(broken[0]!.t - t0).toBeLessThan(120);
  });

  it('too little traffic → one hold at maxStep saying what it waits for, with numbers; still evaluating', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    const out = drive(engine, mulberry32(6), { rps: 5, pControl: 0.005, pVariant: 0.005 }, 3600);
    expect(out.map((o) => o.d.action)).toEqual(['hold']);
    expect(out[0]!.t).toBe(1801); // the step clock starts at the first evaluation
    expect(out[0]!.d.reason).toMatch(
      /^30m at 1% \(maxStep 30m\) without a verdict: \d+ of 200 variant requests this step; bad-event ratio bound/,
    );
    const w = engine.inspect('v', T0 + 3600_000)!.waiting;
    expect(w.map((x) => x.what)).toEqual(['bake', 'samples', 'bad-ratio']);
    expect(w[0]).toMatchObject({ done: true, need: 120_000 });
  });

  it('no traffic at all is neither pass nor fail: only the maxStep hold', () => {
    const engine = engineFor({ rollout: rollout(), splitPercent: {} });
    const out = [];
    for (let t = 0; t < 3600; t++) out.push(...engine.evaluate(T0 + t * 1000));
    expect(out.map((d) => d.action)).toEqual(['hold']);
  });

  it('without a rollout: stays at its split and shows "insufficient evidence" until the bound is proven', () => {
    const engine = engineFor({ splitPercent: { v: 10 } });
    engine.recordSecond(S, { v: crowd(10), control: crowd(90) });
    engine.evaluate(T0 + 1000);
    expect(engine.inspect('v', T0 + 1000)!.verdict).toBe('insufficient-evidence');
    drive(engine, mulberry32(7), { rps: 5000, pControl: 0.01, pVariant: 0.01 }, 1200, 1);
    expect(engine.inspect('v', T0 + 1_201_000)!.verdict).toBe('within-tolerance');
    expect(engine.percent('v')).toBe(10);
  });
});

describe('config changes', () => {
  it('lowering the steps clamps the weight to the new plan and records a replan decision', () => {
    const a = engineFor({ rollout: rollout({ steps: [5, 25, 50, 100] }), splitPercent: {} });
    a.evaluate(T0);
    expect(a.percent('v')).toBe(5);
    const b = engineFor({ rollout: rollout({ steps: [1, 2, 3] }), splitPercent: {} }, JSON.parse(JSON.stringify(a.state())), T0 + 5000);
    expect(b.percent('v')).toBe(1);
    const [d] = b.evaluate(T0 + 6000);
    expect(d).toMatchObject({ action: 'replan', rule: 'config-reload', fromPercent: 5, toPercent: 1 });
    expect(d!.reason).toMatch(/steps 1 → 2 → 3%: v moves from 5% to 1% \(step 1\/3\)/);
  });

  it('a rolled-back variant stays rolled back whatever the new plan', () => {
    const a = engineFor({ rollout: rollout(), splitPercent: {} });
    a.manual('rollback', T0);
    const b = engineFor({ rollout: rollout({ steps: [10, 100] }), splitPercent: {} }, a.state(), T0 + 1000);
    expect(b.percent('v')).toBe(0);
    expect(b.evaluate(T0 + 2000)).toEqual([]);
  });
});
