// The ramp runtime on a real compiled config with a fake clock and an in-memory store: the slice and
// the control are judged on the goal, a passing step advances, harm ends the ramp with its breaking
// point, and a restart resumes the stored step (or reports the finished ramp) — never step 1 again
// silently. The kill switch stops a running ramp and clears its level.
import { describe, expect, it } from 'vitest';
import type { Snapshot } from '../../../src/config/compile.js';
import { rampLevel } from '../../../src/faults/ramp-level.js';
import { rampKey } from '../../../src/faults/ramp-runtime.js';
import { exchangeInfo } from '../../helpers/exchange-info.js';
import { rampStore, rampTraffic, rampUnitYaml, type RampStore, useRampRuntimes } from '../../helpers/ramp-runtimes.js';

describe('ramp runtime', () => {
  const ramps = useRampRuntimes();
  const compiled = (run = '1'): Snapshot => ramps.snapshot(rampUnitYaml('ramp-unit', run));
  let clock = 1_000_000;
  const boot = (store: RampStore, snap: Snapshot, on = { faults: true }) =>
    ramps.boot(snap, { store, states: store.states, faultsOn: () => on.faults, now: () => clock });

  it('advances a harmless step after its dwell, stops at harm, and a restart resumes or reports — never step 1', async () => {
    const store = rampStore();
    const snap = compiled();
    let r = boot(store, snap);
    expect(rampLevel('shop')).toBe(100);
    await r.idle();
    expect(store.decisions.map((d) => d.action)).toEqual(['ramp-start']);
    rampTraffic(r, snap, true, clock); // 200 new units, all converting
    clock += 9_000;
    r.tick(clock);
    expect(r.status()[0]).toMatchObject({ step: 0, phase: 'running' });
    clock += 1_000;
    r.tick(clock);
    expect(r.status()[0]).toMatchObject({ step: 1, level: 250 });
    expect(rampLevel('shop')).toBe(250);
    await r.idle();
    expect(store.decisions.at(-1)).toMatchObject({ action: 'ramp-advance', rule: 'fault.ramp', arm: 'fault' });
    await r.idle();

    // Restart: the stored step resumes (its dwell starts again), with a decision saying so.
    r.stop();
    clock += 1_000;
    r = boot(store, compiled());
    expect(r.status()[0]).toMatchObject({ step: 1, phase: 'running', stepStartedAt: clock });
    await r.idle();
    expect(store.decisions.at(-1)).toMatchObject({ action: 'ramp-resume' });
    expect(store.decisions.at(-1)!.reason).toContain('resumed at step 2 (250ms)');

    // The slice stops converting: harm at 250ms, inside the dwell.
    const snap2 = compiled();
    r.attach(snap2);
    rampTraffic(r, snap2, false, clock);
    clock += 1_000;
    r.tick(clock);
    const done = r.status()[0]!;
    expect(done).toMatchObject({ phase: 'done', end: 'harm', level: null, lastSafe: { level: 100 }, firstHarmful: { level: 250 } });
    expect(done.firstHarmful!.judgement.goal!.interval![1]).toBeLessThan(0);
    expect(rampLevel('shop')).toBeUndefined();
    await r.idle();
    const last = store.decisions.at(-1)!;
    expect(last.action).toBe('ramp-done');
    expect(last.evidence).toMatchObject({ lastSafe: { level: 100 }, firstHarmful: { level: 250 } });
    await r.idle();

    // Restart after the end: the finished ramp is reported, nothing injected, no new decision.
    r.stop();
    const n = store.decisions.length;
    r = boot(store, compiled());
    expect(r.status()[0]).toMatchObject({ phase: 'done', end: 'harm', firstHarmful: { level: 250 } });
    expect(rampLevel('shop')).toBeUndefined();
    await r.idle();
    expect(store.decisions.length).toBe(n);

    // A new run id is a new ramp, said so in its decision.
    r.stop();
    r = boot(store, compiled('2'));
    expect(r.status()[0]).toMatchObject({ phase: 'running', step: 0 });
    await r.idle();
    expect(store.decisions.at(-1)!.reason).toContain('a new run');
    expect(store.states.get(rampKey('shop'))).toMatchObject({ phase: 'running', step: 0 });
  });

  it('the kill switch stops a running ramp at its next evaluation and clears its level', async () => {
    const store = rampStore();
    const on = { faults: true };
    const r = boot(store, compiled('kill'), on);
    expect(rampLevel('shop')).toBe(100);
    on.faults = false;
    clock += 1_000;
    r.tick(clock);
    expect(r.status()[0]).toMatchObject({ phase: 'done', end: 'killed' });
    expect(rampLevel('shop')).toBeUndefined();
    await r.idle();
    expect(store.decisions.at(-1)).toMatchObject({ action: 'ramp-stop' });
  });

  it('keeps injected aborts out of the vital signs: they are their own stream', () => {
    const store = rampStore();
    const snap = compiled('streams');
    const r = boot(store, snap);
    const route = snap.routes.find((x) => x.name === 'shop')!;
    r.observer
      .begin(exchangeInfo(route, 'control', { key: 'a', fault: 'abort' }))
      ?.end({ status: 503, code: 'FL_FAULT_INJECTED', bytes: 0, upstreamMs: undefined }, 1);
    r.observer
      .begin(exchangeInfo(route, 'control', { key: 'b', fault: 'delay' }))
      ?.end({ status: 499, code: 'FL_CLIENT_ABORTED', bytes: 0, upstreamMs: undefined }, 1);
    const cur = r.status()[0]!.current!;
    expect(cur.injectedFailures).toBe(2);
  });
});
