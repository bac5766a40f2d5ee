// The ramp runtime's unit fixtures, shared by ramp-runtime.test.ts and ramp-relay.test.ts: a real
// compiled config (a `shop` route ramping delays 100 → 250 → 500 ms on half its units, judged on a
// `buy` goal on `pay`), a store that records the runtime's two writes, and 200 new units of traffic
// at a fake-clock instant. Runtimes and snapshots are stopped and closed after each test.
import pino from 'pino';
import { afterEach } from 'vitest';
import type { Snapshot } from '../../src/config/compile.js';
import { experimentsOf } from '../../src/experiments/spec.js';
import { createRampRuntime, type RampRuntime } from '../../src/faults/ramp-runtime.js';
import { inRampSlice } from '../../src/faults/ramp-spec.js';
import type { DecisionRecord } from '../../src/storage/guardrail-types.js';
import { snapshotOf } from '../unit/experiments/fixtures.js';
import { exchangeInfo } from './exchange-info.js';

/** The config: `seed` places the slice, `run` is the ramp's run id (a new one is a new ramp). */
export function rampUnitYaml(seed: string, run: string): string {
  return `
upstreams: { a: "http://127.0.0.1:9" }
routes:
  - name: shop
    match: { path: /shop/* }
    arms: { control: a }
    sticky: [header:x-user]
    seed: ${seed}
    experiment:
      goals: [{ name: buy, kind: conversion, route: pay, match: { method: POST, path: /pay } }]
    fault:
      ramp: { delays: [100ms, 250ms, 500ms], percent: 50, dwell: 10s, goal: buy, vitals: false, run: "${run}" }
  - name: pay
    match: { path: /pay }
    arms: { control: a }
`;
}

/** What the runtime wrote: states by key (cloned, as a real store keeps them), the keys in order, decisions. */
export interface RampStore {
  readonly states: Map<string, unknown>;
  readonly saved: string[];
  readonly decisions: DecisionRecord[];
  saveState(key: string, state: unknown): Promise<void>;
  appendDecision(d: DecisionRecord): Promise<void>;
}

/**
 * A store of the two calls the runtime makes, recorded for assertions (unit tests only: no database).
 * @example const store = rampStore(); boot(store, snap); expect(store.decisions.map((d) => d.action)).toEqual(['ramp-start'])
 */
export function rampStore(): RampStore {
  const states = new Map<string, unknown>();
  const saved: string[] = [];
  const decisions: DecisionRecord[] = [];
  return {
    states,
    saved,
    decisions,
    saveState: async (k, s) => {
      saved.push(k);
      states.set(k, structuredClone(s));
    },
    appendDecision: async (d) => void decisions.push(d),
  };
}

/** What a test chooses of a runtime; the log is silent and there is no timer (tests call tick). */
type BootDeps = Pick<Parameters<typeof createRampRuntime>[0], 'store' | 'states' | 'faultsOn' | 'now' | 'mode'>;

/**
 * Snapshots and runtimes opened by the tests of the calling `describe`: runtimes stopped, then
 * snapshots' pools closed, after each test.
 * @example const ramps = useRampRuntimes(); const snap = ramps.snapshot(rampUnitYaml('s', '1')); const r = ramps.boot(snap, deps)
 */
export function useRampRuntimes(): {
  snapshot(yaml: string): Snapshot;
  /** A runtime attached to `snap`. */
  boot(snap: Snapshot, deps: BootDeps): RampRuntime;
} {
  const closers: (() => Promise<void>)[] = [];
  const runtimes: RampRuntime[] = [];
  afterEach(async () => {
    for (const r of runtimes.splice(0)) r.stop();
    for (const c of closers.splice(0)) await c();
  });
  return {
    snapshot(yaml) {
      const { snap, close } = snapshotOf(yaml);
      closers.push(close);
      return snap;
    },
    boot(snap, deps) {
      const r = createRampRuntime({ ...deps, log: pino({ level: 'silent' }), evaluateEveryMs: 0 });
      runtimes.push(r);
      r.attach(snap);
      return r;
    },
  };
}

/**
 * 200 new units (keys unique to `at`) request the shop on `r` at `at`; the control always converts,
 * the slice only when `sliceConverts`.
 * @example rampTraffic(r, snap, false, clock) // the slice stops buying: harm
 */
export function rampTraffic(r: RampRuntime, snap: Snapshot, sliceConverts: boolean, at: number): void {
  const route = snap.routes.find((x) => x.name === 'shop')!;
  const goal = experimentsOf(snap).byRoute.get('shop')!.goals[0]!;
  for (let i = 0; i < 200; i++) {
    const key = `u${i}-${at}`;
    const slice = inRampSlice(route.fault!.ramp!, route.seed, key);
    r.observer
      .begin(exchangeInfo(route, 'control', { key, startedAtEpoch: at, ...(slice ? { fault: 'delay' as const } : {}) }))
      ?.end({ status: 200, code: undefined, bytes: 0, upstreamMs: 5 }, 5);
    if (!slice || sliceConverts) r.goal(goal, key, at, 0);
  }
}
