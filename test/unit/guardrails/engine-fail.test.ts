// Fail fast and its false alarms, on seeded traffic and a fake clock: a healthy variant watched every
// second for an hour, a broken one caught in seconds, a broken service paused rather than blamed on
// the variant, and one misbehaving key unable to roll a variant back alone.
import { describe, expect, it } from 'vitest';
import { T0, drive, engineFor, guardrails, mulberry32, poisson } from './sim.js';

const healthy = { rps: 50, pControl: 0.005, pVariant: 0.005 };

describe('fail fast', () => {
  it.each([1, 25])('a healthy variant at %i% is not rolled back during an hour, in ≥ 97% of 200 runs', (percent) => {
    let alarms = 0;
    for (let run = 0; run < 200; run++) {
      const engine = engineFor({ splitPercent: { v: percent } });
      const decisions = drive(engine, mulberry32(1000 * percent + run), healthy, 3600);
      if (decisions.length > 0) alarms++;
    }
    expect(alarms / 200).toBeLessThanOrEqual(0.03);
  });

  it('a variant with 50% errors at 1% of 50 req/s is rolled back within 30 s in most runs', () => {
    const times: number[] = [];
    for (let run = 0; run < 100; run++) {
      const engine = engineFor();
      const out = drive(engine, mulberry32(run), { ...healthy, pVariant: 0.5 }, 600, 0, (d) => d.action === 'rollback');
      const rb = out.find((o) => o.d.action === 'rollback');
      times.push(rb ? rb.t : Infinity);
      if (rb) {
        expect(rb.d).toMatchObject({ rule: 'sequential-ratio', fromPercent: 1, toPercent: 0, severity: 'error' });
        expect(engine.percent('v')).toBe(0);
        expect(engine.percent('control')).toBe(100);
      }
    }
    expect(times.filter((t) => t <= 30).length).toBeGreaterThanOrEqual(80);
  });

  it('explains the rollback with the numbers', () => {
    const engine = engineFor();
    const [rb] = drive(engine, mulberry32(7), { ...healthy, pVariant: 0.5 }, 600, 0, (d) => d.action === 'rollback');
    const t = rb!.d.evidence.tests[0]!;
    expect(t.eValue).toBeGreaterThanOrEqual(t.threshold);
    expect(t.threshold).toBeCloseTo(100, 9);
    expect(rb!.d.reason).toMatch(/e-value .* ≥ 1\/α = 100 rejects ρ ≤ 1\.5: rolled back from 1% to 0%\.$/);
    expect(JSON.parse(JSON.stringify(rb!.d))).toEqual(rb!.d);
  });

  it('rolled back stays rolled back: no further decisions, events ignored', () => {
    const engine = engineFor();
    drive(engine, mulberry32(8), { ...healthy, pVariant: 0.5 }, 600, 0, (d) => d.action === 'rollback');
    expect(engine.state().variants[0]!.phase).toBe('rolled-back');
    expect(drive(engine, mulberry32(9), healthy, 600, 700)).toEqual([]);
  });

  it('onBreach pause freezes the weight; alert only reports (dry run)', () => {
    for (const onBreach of ['pause', 'alert'] as const) {
      const engine = engineFor({ guardrails: guardrails({ onBreach }), splitPercent: { v: 5 } });
      const out = drive(engine, mulberry32(3), { ...healthy, pVariant: 0.5 }, 600);
      expect(out.map((o) => o.d.action)).toEqual([onBreach]);
      expect(engine.percent('v')).toBe(5);
      expect(engine.state().variants[0]!.phase).toBe(onBreach === 'pause' ? 'paused' : 'idle');
    }
  });

  it('a latency regression (slow events) is caught by its own test when the route has a latency SLO', () => {
    const engine = engineFor({ guardrails: guardrails({ slo: { availability: 99, latency: { p99: 250 } } }), splitPercent: { v: 5 } });
    const rnd = mulberry32(12);
    const decisions = [];
    for (let t = 0; t < 600 && decisions.length === 0; t++) {
      const at = T0 + t * 1000;
      const vn = poisson(rnd, 5);
      const cn = poisson(rnd, 95);
      engine.recordBucket('v', at, vn, 0, 0.05, poisson(rnd, 5 * 0.3));
      engine.recordBucket('control', at, cn, 0, 0.95, poisson(rnd, 95 * 0.01));
      decisions.push(...engine.evaluate(at + 1000));
    }
    expect(decisions.map((d) => [d.action, d.rule])).toEqual([['rollback', 'sequential-ratio-slow']]);
    expect(decisions[0]!.evidence.tests.map((t) => t.alpha)).toEqual([0.005, 0.005]);
    expect(decisions[0]!.reason).toMatch(/^v: \d+ of \d+ requests slow \([\d.]+%\) vs \d+ of \d+ on control/);
  });

  it('Bonferroni: two variants test at α/2 each', () => {
    const engine = engineFor({ variants: ['v', 'w'], splitPercent: { v: 1, w: 1 } });
    expect(engine.inspect('v', T0)!.tests[0]!.alpha).toBeCloseTo(0.005, 12);
  });
});

describe('burn rates on the variant', () => {
  it('control failing too → pause + alert, not rollback', () => {
    const engine = engineFor({ splitPercent: { v: 5 } });
    const out = drive(engine, mulberry32(4), { rps: 50, pControl: 0.4, pVariant: 0.4 }, 900);
    expect(out.map((o) => o.d.action)).toEqual(['pause']);
    expect(out[0]!.d.rule).toBe('burn-rate-shared');
    expect(out[0]!.d.severity).toBe('warn');
    expect(out[0]!.d.reason).toContain('the service is failing, not the variant');
    expect(engine.percent('v')).toBe(5);
  });

  it('only the variant burning, before the ratio test can reject → onBreach via burn-rate-fast', () => {
    // A huge tolerance keeps the sequential test quiet; 20% errors burn the 1% budget 20×.
    const engine = engineFor({ guardrails: guardrails({ tolerance: 100 }), splitPercent: { v: 5 } });
    const out = drive(engine, mulberry32(5), { rps: 50, pControl: 0.005, pVariant: 0.2 }, 900);
    expect(out.map((o) => [o.d.action, o.d.rule])).toEqual([['rollback', 'burn-rate-fast']]);
  });
});

describe('per-key cap', () => {
  it('one key producing every error cannot roll the variant back alone', () => {
    const engine = engineFor({ splitPercent: { v: 5 } });
    const rnd = mulberry32(6);
    const decisions = [];
    for (let t = 0; t < 1800; t++) {
      const at = T0 + t * 1000;
      // Healthy background traffic on both arms, plus a bot on the variant failing 3 times a second.
      for (let i = 0; i < 50; i++) {
        const arm = rnd() < 0.05 ? 'v' : 'control';
        engine.record({
          at,
          arm,
          bad: arm === 'control' && rnd() < 0.005,
          slow: false,
          key: `u${Math.floor(rnd() * 1e6)}`,
          share: arm === 'v' ? 0.05 : 0.95,
          latencyMs: 10,
        });
      }
      for (let i = 0; i < 3; i++) engine.record({ at, arm: 'v', bad: true, slow: false, key: 'bot', share: 0.05, latencyMs: 10 });
      decisions.push(...engine.evaluate(at + 1000));
    }
    expect(decisions).toEqual([]);
    const ev = engine.inspect('v', T0 + 1_800_000)!;
    expect(ev.variant.capped).toBeGreaterThan(5000);
    expect(ev.variant.bad).toBeLessThanOrEqual(5 * 31);
    expect(ev.badKeys).toBe(1);
  });
});
