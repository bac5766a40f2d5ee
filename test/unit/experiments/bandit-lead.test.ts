// One bandit decider per group or fleet, on a fake clock with given results: a follower never
// reads results nor stores a decision, it applies what the decider shares (checked first); a fleet
// replica decides only while its lease answers with an epoch, publishes before it applies, and a
// fenced publish changes nothing; older fleet rows are ignored; the lease is renewed every check.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src/config/compile.js';
import type { ExperimentResult } from '../../../src/experiments/analysis.js';
import { createBanditRuntime } from '../../../src/experiments/bandit.js';
import { isBanditShared, type BanditLeader, type BanditShared } from '../../../src/experiments/bandit-lead.js';
import type { CompiledRoute } from '../../../src/routing/route.js';
import { createWeightCell } from '../../../src/routing/weights.js';
import type { DecisionRecord } from '../../../src/storage/guardrail-types.js';

const bandit = { goal: 'buy', every: 5000, floor: 5, burnIn: 0, draws: 2000, minChange: 2, maxUnits: 1000 };

function setup(opts: { leader?: BanditLeader; follower?: boolean }, storedUnits: { unit: string; arm: string }[] = []) {
  const route = { name: 'p', arms: [{ name: 'control' }, { name: 'v2' }], weights: createWeightCell([10]) } as unknown as CompiledRoute;
  const snap = {
    routes: [route],
    config: { routes: [{ name: 'p', experiment: { allocation: 'bandit', bandit } }] },
  } as unknown as Snapshot;
  const result = {
    startedAt: new Date(0).toISOString(),
    goals: [
      {
        name: 'buy',
        arms: [
          { arm: 'control', units: 500, total: 50 },
          { arm: 'v2', units: 500, total: 100 },
        ],
      },
    ],
  } as unknown as ExperimentResult;
  const stored: DecisionRecord[] = [];
  let reads = 0;
  const rt = createBanditRuntime({
    results: {
      read: async () => {
        reads++;
        return { experiments: [result] };
      },
    },
    experiments: {
      exportUnits: async () => ({
        units: storedUnits.map((u) => ({ ...u, firstAt: 1, weights: '50', arms: 1 })),
        goals: [],
        next: undefined,
      }),
    },
    decisions: { appendDecision: async (d) => void stored.push(d), saveState: async () => undefined },
    log: pino({ level: 'silent' }),
    now: () => 60_000,
    seed: 1,
    checkEveryMs: 0,
    ...opts,
  });
  rt.attach(snap);
  return { rt, route, stored, reads: () => reads };
}

/** A lease that answers `epoch` (null: another replica holds it) and a log that accepts while `accept`. */
function fakeLeader(state: { epoch: number | null; accept: boolean }) {
  const published: BanditShared[] = [];
  let leads = 0;
  let seq = 10;
  const leader: BanditLeader = {
    lead: async () => {
      leads++;
      return state.epoch;
    },
    publish: async (_route, _epoch, shared) => {
      if (!state.accept) return undefined;
      published.push(shared);
      return ++seq;
    },
    release: async () => undefined,
  };
  return { leader, published, leads: () => leads };
}

const shared = (percents: number[], updatedAt = 1): BanditShared => ({
  arms: ['control', 'v2'],
  percents,
  posteriors: [],
  phase: 'thompson',
  updatedAt,
});

describe('one bandit decider', () => {
  it('a follower never reads results nor stores a decision; it applies what the decider shares', async () => {
    const b = setup({ follower: true });
    await b.rt.tick(true);
    await b.rt.idle();
    expect(b.reads()).toBe(0);
    expect(b.stored).toEqual([]);
    expect(b.rt.status()[0]).toMatchObject({ role: 'follower' });
    expect(b.rt.adopt('p', shared([20, 80]))).toBe(true);
    await b.rt.idle();
    expect(b.route.weights.percents).toEqual([80]);
    // The decider gone, nothing arrives: the last weights stay.
    await b.rt.tick(true);
    expect(b.route.weights.percents).toEqual([80]);
  });

  it('refuses malformed or foreign weights and keeps its own', () => {
    const b = setup({ follower: true });
    expect(b.rt.adopt('p', { ...shared([20, 80]), arms: ['control', 'v3'] })).toBe(false);
    expect(b.rt.adopt('p', shared([20, 70]))).toBe(false); // does not add up to 100
    expect(b.rt.adopt('p', shared([-5, 105]))).toBe(false);
    expect(b.rt.adopt('p', { percents: [0, 100] })).toBe(false);
    expect(b.rt.adopt('nope', shared([20, 80]))).toBe(false);
    expect(b.route.weights.percents).toEqual([50]);
    expect(isBanditShared(shared([5, 95]))).toBe(true);
  });

  it('the decider (holding the lease) publishes before it applies and stores one decision per change', async () => {
    const f = fakeLeader({ epoch: 3, accept: true });
    const b = setup({ leader: f.leader });
    const changes: string[] = [];
    b.rt.onApplied((route, s) => void changes.push(`${route} ${s.percents.join('/')}`));
    await b.rt.tick(true);
    await b.rt.idle();
    expect(b.rt.status()[0]).toMatchObject({ role: 'decider' });
    expect(f.published.map((s) => s.percents)).toEqual([[5, 95]]);
    expect(b.route.weights.percents).toEqual([95]);
    expect(b.stored).toHaveLength(1);
    expect(changes).toEqual(['p 5/95']);
    expect(b.rt.shared().p).toMatchObject({ arms: ['control', 'v2'], percents: [5, 95], phase: 'thompson' });
    // Its own row coming back through the fleet's re-sync changes nothing; an older row is ignored.
    expect(b.rt.adopt('p', shared([50, 50]), 11)).toBe(false);
    expect(b.rt.adopt('p', shared([50, 50]), 4)).toBe(false);
    // Nothing moved on the next update: nothing published, nothing stored.
    await b.rt.tick(true);
    await b.rt.idle();
    expect(f.published).toHaveLength(1);
    expect(b.stored).toHaveLength(1);
  });

  it('without the lease it follows; a fenced publish applies and stores nothing', async () => {
    const state = { epoch: null as number | null, accept: true };
    const f = fakeLeader(state);
    const b = setup({ leader: f.leader });
    await b.rt.tick(true);
    expect(b.reads()).toBe(0);
    expect(b.rt.status()[0]).toMatchObject({ role: 'follower' });
    expect(b.rt.adopt('p', shared([30, 70]), 7)).toBe(true);
    await b.rt.idle();
    expect(b.route.weights.percents).toEqual([70]);

    // It gets the lease, but another replica takes it before the publish lands.
    state.epoch = 4;
    state.accept = false;
    await b.rt.tick(true);
    await b.rt.idle();
    expect(b.route.weights.percents).toEqual([70]);
    expect(b.stored).toEqual([]);
    expect(b.rt.counts()[0]!.outcomes.fenced).toBe(1);
    expect(b.rt.status()[0]).toMatchObject({ role: 'follower' });
  });

  it('renews the lease on every check, not only when an update is due', async () => {
    const f = fakeLeader({ epoch: 1, accept: true });
    const b = setup({ leader: f.leader });
    await b.rt.tick();
    await b.rt.tick();
    await b.rt.tick();
    expect(f.leads()).toBe(3);
    expect(b.reads()).toBe(1); // every: 5s on a clock that stands still
  });

  it('refreshes its pins from the store before a change applies: a unit first seen by another process keeps its arm', async () => {
    // Stored by another replica (or worker) after this one started: the start-up refill missed it.
    const units: { unit: string; arm: string }[] = [];
    const b = setup({ follower: true }, units);
    await b.rt.idle();
    expect(b.route.weights.pins?.get('elsewhere')).toBeUndefined();
    units.push({ unit: 'elsewhere', arm: 'v2' });
    b.rt.adopt('p', shared([95, 5]));
    await b.rt.idle();
    expect(b.route.weights.percents).toEqual([5]);
    expect(b.route.weights.pins?.get('elsewhere')).toBe(1);
    // Two changes in a row: the newer one is what stays applied.
    b.rt.adopt('p', shared([60, 40]));
    b.rt.adopt('p', shared([10, 90]));
    await b.rt.idle();
    expect(b.route.weights.percents).toEqual([90]);
  });
});
