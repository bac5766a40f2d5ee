// Persistence and bulk input: state survives JSON and a restart with identical decisions afterwards,
// and recordBucket is the same as per-event record with distinct keys.
import { describe, expect, it } from 'vitest';
import { createEngine, type Engine } from '../../../src/guardrails/engine.js';
import type { Decision, RouteState } from '../../../src/guardrails/types.js';
import { T0, engineFor, guardrails, mulberry32, poisson, rollout } from './sim.js';

/** Feeds the same traffic to every engine (weights from the first), returns each one's decisions. */
function lockstep(engines: Engine[], seed: number, rps: number, p: { c: number; v: number }, from: number, seconds: number): Decision[][] {
  const rnd = mulberry32(seed);
  const out: Decision[][] = engines.map(() => []);
  for (let t = from; t < from + seconds; t++) {
    const at = T0 + t * 1000;
    const w = engines[0]!.percent('v') / 100;
    const vBad = poisson(rnd, rps * w * p.v);
    const vGood = poisson(rnd, rps * w * (1 - p.v));
    const cBad = poisson(rnd, rps * (1 - w) * p.c);
    const cGood = poisson(rnd, rps * (1 - w) * (1 - p.c));
    // A few keyed bad events on the control too, so the key caps are part of the state.
    const keyed = Math.floor(rnd() * 3);
    engines.forEach((e, i) => {
      if (w > 0) e.recordBucket('v', at, vBad + vGood, vBad, w);
      e.recordBucket('control', at, cBad + cGood, cBad, 1 - w);
      for (let k = 0; k < keyed; k++)
        e.record({ at: at + k, arm: 'control', bad: true, slow: false, key: `k${t % 7}`, share: 1 - w, latencyMs: 5 });
      out[i]!.push(...e.evaluate(at + 1000));
    });
  }
  return out;
}

const roundTrip = (s: RouteState): RouteState => JSON.parse(JSON.stringify(s));
const rounded = (x: unknown): unknown => JSON.parse(JSON.stringify(x, (_k, v) => (typeof v === 'number' ? +v.toPrecision(9) : v)));

describe('state', () => {
  it('a rollout resumes at its step with its evidence: same decisions as without the restart', () => {
    const cfg = { guardrails: guardrails(), rollout: rollout(), variants: ['v'], splitPercent: {} };
    const a = createEngine('r', cfg);
    const [before] = lockstep([a], 1, 2000, { c: 0.02, v: 0.02 }, 0, 200);
    expect(before!.map((d) => d.action)).toEqual(['step']);
    const b = createEngine('r', cfg, roundTrip(a.state()));
    expect(b.state()).toEqual(a.state());
    const [da, db] = lockstep([a, b], 2, 2000, { c: 0.02, v: 0.02 }, 200, 1800);
    expect(da!.map((d) => d.action)).toEqual(['step', 'step', 'promote']);
    expect(db).toEqual(da);
    expect(b.state()).toEqual(a.state());
  });

  it('a restart mid-evidence rolls back at the same second; a rolled-back variant stays rolled back', () => {
    const cfg = { guardrails: guardrails(), variants: ['v'], splitPercent: { v: 5 } };
    const a = createEngine('r', cfg);
    lockstep([a], 3, 100, { c: 0.005, v: 0.1 }, 0, 5);
    const b = createEngine('r', cfg, roundTrip(a.state()));
    const [da, db] = lockstep([a, b], 4, 100, { c: 0.005, v: 0.1 }, 5, 600);
    expect(da!.map((d) => d.action)).toEqual(['rollback']);
    expect(db).toEqual(da);
    const c = createEngine('r', cfg, roundTrip(b.state()));
    expect(c.percent('v')).toBe(0);
    expect(c.state().variants[0]!.phase).toBe('rolled-back');
  });

  it('restores across config changes: steps shortened, rollout removed, variant added', () => {
    const a = createEngine('r', { guardrails: guardrails(), rollout: rollout(), variants: ['v'], splitPercent: {} });
    lockstep([a], 5, 2000, { c: 0.02, v: 0.02 }, 0, 800);
    expect(a.state().variants[0]!.stepIndex).toBeGreaterThanOrEqual(3);
    const shorter = createEngine(
      'r',
      { guardrails: guardrails(), rollout: rollout({ steps: [1, 10] }), variants: ['v'], splitPercent: {} },
      roundTrip(a.state()),
    );
    expect(shorter.state().variants[0]).toMatchObject({ phase: 'promoted', stepIndex: 1, percent: 10 });
    const fixed = createEngine(
      'r',
      { guardrails: guardrails(), variants: ['v', 'w'], splitPercent: { v: 20, w: 5 } },
      roundTrip(a.state()),
    );
    expect(fixed.weights()).toEqual({ v: 20, w: 5 });
    expect(fixed.state().variants[0]!.phase).toBe('idle');
  });

  it('is JSON-safe (no Infinity, no typed arrays)', () => {
    const e = engineFor();
    const s = e.state();
    expect(roundTrip(s)).toEqual(s);
    const ev = e.inspect('v', T0)!;
    expect(ev.tests[0]!.rhoUpper).toBeNull();
    expect(roundTrip(ev as unknown as RouteState)).toEqual(ev);
  });
});

describe('recordBucket', () => {
  it('equals per-event record with distinct keys', () => {
    const cfg = {
      guardrails: guardrails({ slo: { availability: 99, latency: { p99: 100 } } }),
      rollout: rollout(),
      variants: ['v'],
      splitPercent: {},
    };
    const perEvent = createEngine('r', cfg);
    const bulk = createEngine('r', cfg);
    const rnd = mulberry32(8);
    const dEvent: Decision[] = [];
    const dBulk: Decision[] = [];
    let id = 0;
    for (let t = 0; t < 900; t++) {
      const at = T0 + t * 1000;
      for (const arm of ['v', 'control']) {
        const share = arm === 'v' ? perEvent.percent('v') / 100 : perEvent.percent('control') / 100;
        const n = poisson(rnd, 1000 * share);
        let bad = 0;
        let slow = 0;
        for (let i = 0; i < n; i++) {
          const isBad = rnd() < 0.001;
          const isSlow = rnd() < 0.002;
          bad += isBad ? 1 : 0;
          slow += isSlow ? 1 : 0;
          perEvent.record({ at: at + (i % 1000), arm, bad: isBad, slow: isSlow, key: `u${id++}`, share, latencyMs: isSlow ? 150 : 20 });
        }
        bulk.recordBucket(arm, at, n, bad, share, slow);
      }
      dEvent.push(...perEvent.evaluate(at + 1000));
      dBulk.push(...bulk.evaluate(at + 1000));
    }
    expect(dEvent.map((d) => d.action)).toContain('step');
    // Same decisions; sums of logs differ in the last bits between the two summation orders.
    expect(rounded(dBulk)).toEqual(rounded(dEvent));
    const a = perEvent.state();
    const b = bulk.state();
    expect(b.windows).toEqual(a.windows);
    for (let i = 0; i < a.variants.length; i++) {
      const va = a.variants[i]!;
      const vb = b.variants[i]!;
      // Bucketed events have no keys, so their distinct-key markers differ.
      expect(rounded({ ...vb, evidence: { ...vb.evidence, badKeys: [] } })).toEqual(
        rounded({ ...va, evidence: { ...va.evidence, badKeys: [] } }),
      );
    }
  });
});
