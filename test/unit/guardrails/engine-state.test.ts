// State: JSON round trips give the same decisions, older (v1) states keep a rolled-back variant rolled
// back, malformed state never crashes, and the engine's decisions depend only on the summed seconds.
import { describe, expect, it } from 'vitest';
import { mergeArmSecond } from '../../../src/guardrails/arm-second.js';
import { createCollector } from '../../../src/guardrails/collector.js';
import { T0, drive, engineFor, mulberry32, rollout } from './sim.js';

const roundTrip = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;
const dead = { rps: 50, pControl: 0.005, pVariant: 0.5 };

describe('state', () => {
  it('a restart mid-evidence rolls back at the same second as without it', () => {
    const a = engineFor();
    const straight = drive(a, mulberry32(1), dead, 600, 0, (d) => d.action === 'rollback');
    const b = engineFor();
    drive(b, mulberry32(1), dead, 5);
    const c = engineFor({}, roundTrip(b.state()), T0 + 5000);
    const rnd = mulberry32(1);
    // Replay the same stream: skip what b already consumed by re-driving a twin.
    const twin = engineFor();
    drive(twin, rnd, dead, 5);
    const resumed = drive(c, rnd, dead, 595, 5, (d) => d.action === 'rollback');
    expect(resumed.at(-1)!.t).toBe(straight.at(-1)!.t);
  });

  it('a v1 state keeps a rolled-back variant rolled back (fresh evidence)', () => {
    const v1 = {
      v: 1,
      route: 'r',
      variants: [{ arm: 'v', phase: 'rolled-back', stepIndex: 0, stepStartedAt: T0, percent: 0, breach: 'sequential-ratio' }],
    };
    const e = engineFor({ rollout: rollout(), splitPercent: {} }, v1);
    expect(e.percent('v')).toBe(0);
    expect(e.state().variants[0]!.phase).toBe('rolled-back');
  });

  it('malformed state starts fresh instead of crashing', () => {
    for (const bad of [
      null,
      42,
      'x',
      { v: 2, variants: 'nope' },
      { v: 2, variants: [{ arm: 'v', phase: 'idle', evidence: { restarts: 5 } }] },
    ])
      expect(() => engineFor({}, bad).evaluate(T0)).not.toThrow();
  });

  it('is JSON-safe (no Infinity, no typed arrays)', () => {
    const e = engineFor({ rollout: rollout(), splitPercent: {} });
    drive(e, mulberry32(3), { rps: 50, pControl: 0.005, pVariant: 0.005 }, 120);
    expect(roundTrip(e.state())).toEqual(e.state());
  });
});

describe('summable evidence', () => {
  it('two replicas’ merged seconds decide like one process (a few seconds later at most: per-replica top contributors add up)', () => {
    const one = createCollector({ keyCap: 2, clientCap: 5 });
    const r1 = createCollector({ keyCap: 2, clientCap: 5 });
    const r2 = createCollector({ keyCap: 2, clientCap: 5 });
    const single = engineFor({ splitPercent: { v: 5 } });
    const fleet = engineFor({ splitPercent: { v: 5 } });
    const rnd = mulberry32(9);
    const out: [string[], string[]] = [[], []];
    for (let t = 0; t < 300; t++) {
      for (let i = 0; i < 40; i++) {
        const arm = i < 2 ? 'v' : 'control';
        const key = `${arm}-${t}-${i}`;
        const r = { arm, key, client: key, bad: rnd() < (arm === 'v' ? 0.4 : 0.01), slow: false, upstreamMs: 5, at: T0 + t * 1000 + i };
        one.record(r);
        (i % 2 ? r1 : r2).record(r);
      }
      const sec = Math.floor(T0 / 1000) + t + 1;
      for (const s of one.drain(sec)) single.recordSecond(s.sec, s.arms);
      const a = r1.drain(sec);
      const b = r2.drain(sec);
      for (let k = 0; k < a.length; k++) {
        const arms: Record<string, ReturnType<typeof mergeArmSecond>> = {};
        for (const arm of ['v', 'control']) arms[arm] = mergeArmSecond(a[k]!.arms[arm]!, b[k]!.arms[arm]!);
        fleet.recordSecond(a[k]!.sec, arms);
      }
      out[0].push(...single.evaluate(T0 + (t + 1) * 1000).map((d) => `${t}:${d.action}`));
      out[1].push(...fleet.evaluate(T0 + (t + 1) * 1000).map((d) => `${t}:${d.action}`));
    }
    expect(out[0].length).toBe(1);
    expect(out[1].length).toBe(1);
    const at = (x: string) => Number(x.split(':')[0]);
    expect(out[1][0]!.split(':')[1]).toBe('rollback');
    expect(at(out[1][0]!) - at(out[0][0]!)).toBeGreaterThanOrEqual(0);
    expect(at(out[1][0]!) - at(out[0][0]!)).toBeLessThanOrEqual(5);
  });
});
