// Fail fast on deterministic event sequences (and a few seeded hours): the realized share, one unit or
// one client never enough, a shared incident paused not blamed, latency meaning the p99, dilution
// unable to hide a dead variant.
import { describe, expect, it } from 'vitest';
import type { Engine } from '../../../src/guardrails/engine.js';
import { T0, crowd, drive, engineFor, guardrails, mulberry32 } from './sim.js';

const healthy = { rps: 50, pControl: 0.005, pVariant: 0.005 };
const S = T0 / 1000;

/** Feeds one second of requests through the engine's own collector and evaluates. */
function second(
  e: Engine,
  t: number,
  reqs: { arm: string; key: string; client?: string; bad?: boolean; slow?: boolean; ms?: number; n?: number }[],
) {
  for (const r of reqs)
    for (let i = 0; i < (r.n ?? 1); i++)
      e.record({
        arm: r.arm,
        key: r.key,
        client: r.client ?? r.key,
        bad: r.bad ?? false,
        slow: r.slow ?? false,
        upstreamMs: r.ms ?? 10,
        at: T0 + t * 1000 + i,
      });
  return e.evaluate(T0 + (t + 1) * 1000);
}

describe('fail fast', () => {
  it('a healthy variant at 1 % and 25 % is not rolled back during an hour in 20 seeded runs', () => {
    for (const percent of [1, 25]) {
      let alarms = 0;
      for (let run = 0; run < 20; run++) {
        const out = drive(engineFor({ splitPercent: { v: percent } }), mulberry32(1000 * percent + run), healthy, 3600);
        if (out.some((o) => o.d.action === 'rollback')) alarms++;
      }
      expect(alarms).toBeLessThanOrEqual(1);
    }
  });

  it('a dead 1 % variant (50 % errors) is rolled back in seconds, with the numbers', () => {
    const engine = engineFor();
    const [rb] = drive(engine, mulberry32(7), { ...healthy, pVariant: 0.5 }, 600, 0, (d) => d.action === 'rollback');
    expect(rb!.t).toBeLessThan(60);
    expect(rb!.d).toMatchObject({ rule: 'sequential-ratio', fromPercent: 1, toPercent: 0, severity: 'error' });
    const b = rb!.d.evidence.bad;
    expect(b.logE).toBeGreaterThanOrEqual(b.logThreshold);
    expect(b.logThreshold).toBeCloseTo(Math.log(100), 9);
    expect(rb!.d.reason).toMatch(/≥ 1\/α = 100 rejects ρ ≤ 1\.5: rolled back from 1% to 0%\.$/);
    expect(engine.percent('control')).toBe(100);
  });

  it('uses the realized share: a variant whose requests are many (heavy users) but healthy is not evidence', () => {
    // 1 % configured, but the variant serves 30 % of the requests with the same error rate as control.
    const engine = engineFor();
    for (let t = 0; t < 600; t++) {
      engine.recordSecond(S + t, { v: crowd(30, t % 7 === 0 ? 1 : 0, 0, t === 0 ? 1 : 0), control: crowd(70, t % 3 === 0 ? 1 : 0) });
      expect(engine.evaluate(T0 + (t + 1) * 1000)).toEqual([]);
    }
  });

  it('one unit alone, however bad, never rolls back — not even with one unrelated error', () => {
    const engine = engineFor({ splitPercent: { v: 5 } });
    for (let t = 0; t < 900; t++) {
      const reqs = [
        { arm: 'v', key: 'bot', bad: true, n: 20 },
        { arm: 'control', key: `c${t}`, n: 40 },
      ];
      if (t === 300) reqs.push({ arm: 'v', key: 'someone', bad: true, n: 1 });
      expect(second(engine, t, reqs)).toEqual([]);
    }
    expect(engine.inspect('v', T0 + 900_000)!.bad.setAside).toBeGreaterThanOrEqual(2);
  });

  it('one client address with many keys never rolls back (distinct units, same address)', () => {
    const engine = engineFor({ splitPercent: { v: 5 } });
    for (let t = 0; t < 600; t++) {
      const keys = Array.from({ length: 30 }, (_, i) => ({ arm: 'v', key: `k${t}-${i}`, client: '203.0.113.9', bad: true }));
      expect(second(engine, t, [...keys, { arm: 'control', key: `c${t}`, n: 50 }])).toEqual([]);
    }
  });

  it('many failing units from many clients roll back quickly', () => {
    const engine = engineFor({ splitPercent: { v: 5 } });
    let out: ReturnType<typeof second> = [];
    let t = 0;
    for (; t < 120 && out.length === 0; t++)
      out = second(engine, t, [
        { arm: 'v', key: `v${t}`, bad: true },
        { arm: 'v', key: `w${t}` },
        { arm: 'control', key: `c${t}`, n: 38 },
      ]);
    expect(out[0]).toMatchObject({ action: 'rollback', rule: 'sequential-ratio' });
    expect(t).toBeLessThan(30);
  });

  it('one client sending good requests under many keys cannot dilute a dead variant', () => {
    const engine = engineFor({ splitPercent: { v: 5 } });
    let out: ReturnType<typeof second> = [];
    let t = 0;
    for (; t < 300 && out.length === 0; t++) {
      const diluters = Array.from({ length: 200 }, (_, i) => ({ arm: 'v', key: `d${i}`, client: '203.0.113.66', n: 2 }));
      out = second(engine, t, [
        ...diluters,
        { arm: 'v', key: `v${t}`, client: `198.51.100.${t % 250}`, bad: true },
        { arm: 'v', key: `w${t}`, client: `198.51.100.${(t + 1) % 250}` },
        { arm: 'control', key: `c${t}`, n: 38 },
      ]);
    }
    // Slower than without the diluter (its address adds ≤ 50 requests a second), but caught.
    expect(out[0]).toMatchObject({ action: 'rollback' });
    expect(t).toBeLessThan(300);
  });

  it('a shared incident pauses and alerts, never rolls back; the variant is not blamed', () => {
    const engine = engineFor({ guardrails: guardrails({ slo: { availability: 99.9 } }), splitPercent: { v: 5 } });
    const decisions = drive(engine, mulberry32(5), { rps: 200, pControl: 0.0002, pVariant: 0.0002 }, 600);
    expect(decisions).toEqual([]);
    const incident = drive(engine, mulberry32(6), { rps: 200, pControl: 0.05, pVariant: 0.05 }, 300, 600);
    expect(incident.map((o) => o.d.action)).toEqual(['pause']);
    expect(incident[0]!.d.rule).toBe('burn-rate-service');
    expect(incident[0]!.d.reason).toMatch(/not blamed/);
    expect(engine.percent('v')).toBe(5);
  });

  it('the service-wide rule waits for a full long window: no pause in the first 5 minutes', () => {
    const engine = engineFor({ guardrails: guardrails({ slo: { availability: 99.9 } }), splitPercent: { v: 5 } });
    const out = drive(engine, mulberry32(8), { rps: 200, pControl: 0.05, pVariant: 0.05 }, 400);
    expect(out.length).toBe(1);
    expect(out[0]!.t).toBeGreaterThanOrEqual(300);
  });

  it('onBreach pause freezes the weight; alert only reports (dry run)', () => {
    for (const onBreach of ['pause', 'alert'] as const) {
      const engine = engineFor({ guardrails: guardrails({ onBreach }), splitPercent: { v: 5 } });
      const out = drive(engine, mulberry32(3), { ...healthy, pVariant: 0.5 }, 600);
      expect(out.map((o) => o.d.action)).toEqual([onBreach]);
      expect(engine.percent('v')).toBe(5);
    }
  });
});

describe('latency SLO means the p99', () => {
  const g = guardrails({ slo: { availability: 99, latency: { p99: '500ms' } } });

  it('variant p99 inside the SLO (0.8 % over 500 ms, control 0.2 %) is never rolled back', () => {
    for (let run = 0; run < 10; run++) {
      const out = drive(
        engineFor({ guardrails: g, splitPercent: { v: 25 } }),
        mulberry32(run),
        { ...healthy, slowVariant: 0.008, slowControl: 0.002 },
        3600,
      );
      expect(out.filter((o) => o.d.action === 'rollback')).toEqual([]);
    }
  });

  it('variant p99 credibly above the SLO and slower than control → rollback by latency-p99', () => {
    const out = drive(
      engineFor({ guardrails: g, splitPercent: { v: 25 } }),
      mulberry32(2),
      { ...healthy, slowVariant: 0.05, slowControl: 0.002 },
      600,
      0,
      (d) => d.action === 'rollback',
    );
    expect(out.at(-1)!.d).toMatchObject({ action: 'rollback', rule: 'latency-p99' });
    expect(out.at(-1)!.d.evidence.latency).toMatchObject({ p99Above: true, thresholdMs: 500 });
  });

  it('p99 above the SLO but control just as slow → no rollback (not the variant)', () => {
    const out = drive(
      engineFor({ guardrails: g, splitPercent: { v: 25 } }),
      mulberry32(4),
      { ...healthy, slowVariant: 0.05, slowControl: 0.05 },
      1200,
    );
    expect(out.filter((o) => o.d.action === 'rollback')).toEqual([]);
  });
});
