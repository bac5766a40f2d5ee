// The ramp in a `workers: N` group, in one process: a follower runtime (a worker) injects nothing
// until the judge (the primary) sends its step, relays its evidence, saves nothing; the judge
// advances and ends the ramp on that relayed evidence alone, ignores (and counts) a batch for an old
// step, and a goal that arrives before its unit's exposure (another worker's batch) still counts.
// Malformed batches and steps are rejected, never thrown.
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src/config/compile.js';
import { createStepEvidence } from '../../../src/faults/ramp-evidence.js';
import { rampLevel } from '../../../src/faults/ramp-level.js';
import { createIntake, MAX_BATCH_ITEMS, parseRampBatch, parseRampShared, type RampBatch } from '../../../src/faults/ramp-relay.js';
import { rampStore, rampTraffic, rampUnitYaml, type RampStore, useRampRuntimes } from '../../helpers/ramp-runtimes.js';

describe('ramp relay: one judge for a group', () => {
  const ramps = useRampRuntimes();
  let clock = 2_000_000;
  const snapshot = (): Snapshot => ramps.snapshot(rampUnitYaml('ramp-relay', 'relay'));
  const runtime = (mode: 'judge' | 'follow', store: RampStore, snap: Snapshot) =>
    ramps.boot(snap, { store, states: new Map(), faultsOn: () => true, now: () => clock, mode });

  it('the judge decides on relayed evidence; the follower injects its step and stores nothing', async () => {
    const js = rampStore();
    const fs = rampStore();
    const snap = snapshot();
    const worker = runtime('follow', fs, snap);
    // Not told yet: nothing in force, nothing observed.
    expect(rampLevel('shop')).toBeUndefined();
    expect(worker.relay()).toEqual([]);
    const primary = runtime('judge', js, snapshot());
    const sent: unknown[] = [];
    primary.onChange((route, s) => sent.push({ [route]: s }));
    worker.adopt(primary.shared());
    expect(rampLevel('shop')).toBe(100);

    rampTraffic(worker, snap, true, clock); // 200 new units on the follower, all converting
    const [b0] = worker.relay();
    expect(b0).toMatchObject({ route: 'shop', step: 0, routeRequests: 200 });
    expect(b0!.exposed.length).toBe(200);
    primary.absorb(parseRampBatch(structuredClone(b0))!);
    clock += 10_000;
    primary.tick(clock);
    expect(primary.status()[0]).toMatchObject({ step: 1, level: 250, routeRequests: 200 });
    // The judge told its workers at once.
    expect(sent.at(-1)).toMatchObject({ shop: { step: 1, level: 250 } });
    worker.adopt(sent.at(-1) as Record<string, unknown>);
    expect(rampLevel('shop')).toBe(250);

    // A worker's late batch of step 0 does not count in step 1.
    primary.absorb({ ...b0!, step: 0 });
    expect(primary.stale()).toBe(1);
    expect(primary.status()[0]!.current!.goal!.slice.units).toBe(0);

    rampTraffic(worker, snap, false, clock); // the slice stops buying
    primary.absorb(worker.relay()[0]!);
    clock += 1_000;
    primary.tick(clock);
    expect(primary.status()[0]).toMatchObject({ phase: 'done', end: 'harm', lastSafe: { level: 100 }, firstHarmful: { level: 250 } });
    worker.adopt(sent.at(-1) as Record<string, unknown>);
    expect(rampLevel('shop')).toBeUndefined();
    await primary.idle();
    await worker.idle();
    expect(js.decisions.map((d) => d.action)).toEqual(['ramp-start', 'ramp-advance', 'ramp-done']);
    // The follower's store is the primary's: it never writes the ramp's decisions or state.
    worker.stop();
    await worker.idle();
    expect(fs.decisions).toEqual([]);
    expect(fs.saved).toEqual([]);
  });

  it('a goal that arrives before its unit exposure (another worker) waits for it', () => {
    const ev = createStepEvidence(1.5);
    let dropped = 0;
    const intake = createIntake(ev, () => dropped++);
    const base: RampBatch = {
      route: 'shop',
      identity: 'x',
      step: 0,
      routeRequests: 0,
      injected: 0,
      seconds: [],
      exposed: [],
      goals: [],
      dropped: 0,
    };
    intake.absorb({ ...base, goals: [['u1', 1, 1]] });
    expect(ev.goalSums().slice.sum).toBe(0);
    intake.absorb({ ...base, exposed: [['u1', 1]], seconds: [7, 1, 2, 0, 1], injected: 3 });
    expect(ev.goalSums().slice).toEqual({ units: 1, sum: 1, sumSq: 1 });
    expect(ev.slice).toEqual({ requests: 1, bad: 0 });
    expect(ev.control).toEqual({ requests: 2, bad: 1 });
    expect(ev.injected).toBe(3);
    expect(dropped).toBe(0);
  });

  it('rejects malformed batches and steps', () => {
    const ok = {
      route: 'shop',
      identity: 'x',
      step: 0,
      routeRequests: 1,
      injected: 0,
      seconds: [1, 1, 0, 0, 0],
      exposed: [['u', 1]],
      goals: [['u', 2.5, 0]],
      dropped: 0,
    };
    expect(parseRampBatch(ok)).toBeDefined();
    for (const bad of [
      { ...ok, step: -1 },
      { ...ok, seconds: [1, 2, 3] },
      { ...ok, seconds: [1, 1, 0, 0, Number.NaN] },
      { ...ok, exposed: [['u', 2]] },
      { ...ok, goals: [['u', Number.POSITIVE_INFINITY, 0]] },
      { ...ok, exposed: Array.from({ length: MAX_BATCH_ITEMS + 1 }, () => ['u', 0]) },
      { ...ok, route: 3 },
      null,
      [],
    ])
      expect(parseRampBatch(bad)).toBeUndefined();
    expect(parseRampShared(null)).toBeNull();
    expect(parseRampShared({ identity: 'x', step: 1, level: 250 })).toEqual({ identity: 'x', step: 1, level: 250 });
    expect(parseRampShared({ identity: 'x', step: 1.5, level: 250 })).toBeUndefined();
    expect(parseRampShared({ identity: 'x', step: 1, level: -1 })).toBeUndefined();
  });
});
