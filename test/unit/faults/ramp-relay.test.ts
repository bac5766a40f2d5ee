// The ramp in a `workers: N` group, in one process: a follower runtime (a worker) injects nothing
// until the judge (the primary) sends its step, relays its evidence, saves nothing; the judge
// advances and ends the ramp on that relayed evidence alone, ignores (and counts) a batch for an old
// step, and a goal that arrives before its unit's exposure (another worker's batch) still counts.
// Malformed batches and steps are rejected, never thrown.
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src/config/compile.js';
import { experimentsOf } from '../../../src/experiments/spec.js';
import { createStepEvidence } from '../../../src/faults/ramp-evidence.js';
import { rampLevel } from '../../../src/faults/ramp-level.js';
import { createIntake, MAX_BATCH_ITEMS, parseRampBatch, parseRampShared, type RampBatch } from '../../../src/faults/ramp-relay.js';
import { createRampRuntime, type RampRuntime } from '../../../src/faults/ramp-runtime.js';
import { inRampSlice } from '../../../src/faults/ramp-spec.js';
import type { DecisionRecord } from '../../../src/storage/guardrail-types.js';
import { exchangeInfo } from '../../helpers/exchange-info.js';
import { snapshotOf } from '../experiments/fixtures.js';

const yaml = `
upstreams: { a: "http://127.0.0.1:9" }
routes:
  - name: shop
    match: { path: /shop/* }
    arms: { control: a }
    sticky: [header:x-user]
    seed: ramp-relay
    experiment:
      goals: [{ name: buy, kind: conversion, route: pay, match: { method: POST, path: /pay } }]
    fault:
      ramp: { delays: [100ms, 250ms, 500ms], percent: 50, dwell: 10s, goal: buy, vitals: false, run: relay }
  - name: pay
    match: { path: /pay }
    arms: { control: a }
`;

const memoryStore = () => {
  const decisions: DecisionRecord[] = [];
  const saved: string[] = [];
  return {
    decisions,
    saved,
    saveState: async (k: string) => void saved.push(k),
    appendDecision: async (d: DecisionRecord) => void decisions.push(d),
  };
};

describe('ramp relay: one judge for a group', () => {
  const closers: (() => Promise<void>)[] = [];
  const runtimes: RampRuntime[] = [];
  afterEach(async () => {
    for (const r of runtimes.splice(0)) r.stop();
    for (const c of closers.splice(0)) await c();
  });
  let clock = 2_000_000;
  const snapshot = (): Snapshot => {
    const { snap, close } = snapshotOf(yaml);
    closers.push(close);
    return snap;
  };
  const runtime = (mode: 'judge' | 'follow', store: ReturnType<typeof memoryStore>, snap: Snapshot) => {
    const r = createRampRuntime({
      store,
      states: new Map(),
      log: pino({ level: 'silent' }),
      faultsOn: () => true,
      now: () => clock,
      evaluateEveryMs: 0,
      mode,
    });
    runtimes.push(r);
    r.attach(snap);
    return r;
  };
  // 200 new units on the follower; control always converts, the slice only when `sliceConverts`.
  const traffic = (r: RampRuntime, snap: Snapshot, sliceConverts: boolean) => {
    const route = snap.routes.find((x) => x.name === 'shop')!;
    const goal = experimentsOf(snap).byRoute.get('shop')!.goals[0]!;
    for (let i = 0; i < 200; i++) {
      const key = `u${i}-${clock}`;
      const slice = inRampSlice(route.fault!.ramp!, route.seed, key);
      r.observer
        .begin(exchangeInfo(route, 'control', { key, startedAtEpoch: clock, ...(slice ? { fault: 'delay' as const } : {}) }))
        ?.end({ status: 200, code: undefined, bytes: 0, upstreamMs: 5 }, 5);
      if (!slice || sliceConverts) r.goal(goal, key, clock, 0);
    }
  };

  it('the judge decides on relayed evidence; the follower injects its step and stores nothing', async () => {
    const js = memoryStore();
    const fs = memoryStore();
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

    traffic(worker, snap, true);
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

    traffic(worker, snap, false);
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
