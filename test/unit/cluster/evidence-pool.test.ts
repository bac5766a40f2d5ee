// The primary's evidence sum: a second reaches the engine once every live worker is past it (or it
// is older than the grace), summed exactly once per worker contribution.
import { describe, expect, it } from 'vitest';
import { createEvidencePool } from '../../../src/cluster/evidence-pool.js';
import { emptyArmSecond, type ArmSecond } from '../../../src/guardrails/arm-second.js';

const arm = (requests: number, bad = 0): ArmSecond => ({ ...emptyArmSecond(), requests, exposure: requests, bad, badObs: bad });
const T = 1_700_000_000;

describe('createEvidencePool', () => {
  it('waits for every live worker, then hands over the sum once', () => {
    const pool = createEvidencePool({ graceSec: 5 });
    pool.add(1, T + 1, [{ route: 'checkout', sec: T, arms: { control: arm(3), variant: arm(1, 1) } }]);
    pool.add(2, T, []);
    // Worker 2 has not passed T yet: nothing is complete.
    expect(pool.take(T + 2)).toEqual([]);
    pool.add(2, T + 1, [{ route: 'checkout', sec: T, arms: { control: arm(2), variant: arm(2, 1) } }]);
    const [s] = pool.take(T + 2);
    expect(s).toMatchObject({ route: 'checkout', sec: T });
    expect(s!.arms.control!.requests).toBe(5);
    expect(s!.arms.variant).toMatchObject({ requests: 3, bad: 2, badObs: 2 });
    expect(pool.take(T + 3)).toEqual([]);
  });

  it('a stalled worker holds seconds back only for the grace; a gone one not at all', () => {
    const pool = createEvidencePool({ graceSec: 2 });
    pool.add(1, T + 1, [{ route: 'r', sec: T, arms: { control: arm(1) } }]);
    pool.add(2, T - 10, []);
    expect(pool.take(T + 1)).toEqual([]);
    expect(pool.take(T + 3).map((s) => s.sec)).toEqual([T]);
    pool.add(1, T + 5, [{ route: 'r', sec: T + 4, arms: { control: arm(1) } }]);
    pool.forget(2);
    expect(pool.take(T + 5).map((s) => s.sec)).toEqual([T + 4]);
    expect(pool.stats()).toEqual({ pending: 0, dropped: 0 });
  });

  it('hands seconds over oldest first and bounds what waits', () => {
    const pool = createEvidencePool({ graceSec: 1 });
    for (let i = 0; i < 605; i++) pool.add(1, T, [{ route: 'r', sec: T + 1000 - i, arms: { control: arm(1) } }]);
    expect(pool.stats()).toEqual({ pending: 600, dropped: 5 });
    const taken = pool.take(T + 2000);
    expect(taken).toHaveLength(600);
    expect(taken.map((s) => s.sec)).toEqual([...taken.map((s) => s.sec)].sort((a, b) => a - b));
  });
});
