// The ramp's step machine: a step passes only after its dwell with enough units and no harm; the
// ramp ends at the first harm (the breaking point), when the injected-failure budget is spent, at
// the kill switch, or after the last level; a done ramp never moves again.
import { describe, expect, it } from 'vitest';
import type { StepJudgement } from '../../../src/faults/ramp-judge.js';
import { breakingPoint, startRamp, tickRamp, type RampState, type TickInput } from '../../../src/faults/ramp-machine.js';

const judgement = (over: Partial<StepJudgement> = {}): StepJudgement => ({
  harm: false,
  enough: true,
  vitals: null,
  goal: null,
  injectedFailures: 0,
  alpha: 0.05,
  ...over,
});
const DWELL = 60_000;
const input = (now: number, over: Partial<TickInput> = {}): TickInput => ({
  now,
  judgement: judgement(),
  dwellMs: DWELL,
  killed: false,
  injected: 0,
  routeRequests: 0,
  budget: undefined,
  errorBudget: 0.001,
  ...over,
});
const start = () => startRamp({ identity: 'x', kind: 'delay', levels: [100, 250, 500, 1000] }, 0);

describe('ramp step machine', () => {
  it('dwells: no advance before the dwell, nor after it without enough units', () => {
    let s = start();
    s = tickRamp(s, input(DWELL - 1)).state;
    expect(s.step).toBe(0);
    const waiting = tickRamp(s, input(DWELL, { judgement: judgement({ enough: false }) }));
    expect(waiting.transition).toBeUndefined();
    expect(waiting.state.step).toBe(0);
    const { state, transition } = tickRamp(s, input(DWELL));
    expect(transition?.action).toBe('ramp-advance');
    expect(transition?.reason).toContain('100ms is safe; ramp to 250ms');
    expect(state).toMatchObject({ step: 1, stepStartedAt: DWELL, phase: 'running' });
    expect(state.steps).toMatchObject([{ index: 0, level: 100, verdict: 'safe', startedAt: 0, endedAt: DWELL }]);
    // The next step dwells from its own start.
    expect(tickRamp(state, input(2 * DWELL - 1)).state.step).toBe(1);
  });

  it('stops at the first harm, even inside the dwell: last safe and first harmful level with their times', () => {
    let s = start();
    s = tickRamp(s, input(DWELL)).state;
    s = tickRamp(s, input(2 * DWELL)).state;
    const { state, transition } = tickRamp(s, input(2 * DWELL + 5_000, { judgement: judgement({ harm: true }) }));
    expect(transition?.action).toBe('ramp-done');
    expect(transition?.reason).toContain('breaking point: 500ms harms');
    expect(state).toMatchObject({ phase: 'done', end: 'harm', endedAt: 2 * DWELL + 5_000 });
    const bp = breakingPoint(state);
    expect(bp.lastSafe).toMatchObject({ level: 250, startedAt: DWELL, endedAt: 2 * DWELL });
    expect(bp.firstHarmful).toMatchObject({ level: 500, startedAt: 2 * DWELL, endedAt: 2 * DWELL + 5_000, verdict: 'harm' });
    // Done is final.
    expect(tickRamp(state, input(10 * DWELL)).state).toBe(state);
  });

  it('stops when injected failures spend their share of the route error budget', () => {
    const s = startRamp({ identity: 'x', kind: 'abort', levels: [0.1, 1] }, 0);
    // 10% of a 0.1% error budget over 100 000 requests: 10 injected failures allowed.
    const within = tickRamp(s, input(1_000, { budget: 0.1, routeRequests: 100_000, injected: 10 }));
    expect(within.state.phase).toBe('running');
    expect(within.state).toMatchObject({ injected: 10, routeRequests: 100_000 });
    const { state, transition } = tickRamp(within.state, input(2_000, { budget: 0.1, injected: 1 }));
    expect(transition?.action).toBe('ramp-stop');
    expect(transition?.reason).toContain('budget spent (11 of 10.0 allowed)');
    expect(state).toMatchObject({ phase: 'done', end: 'budget' });
    expect(breakingPoint(state)).toEqual({ lastSafe: null, firstHarmful: null });
  });

  it('the kill switch stops the ramp at its step', () => {
    let s: RampState = tickRamp(start(), input(DWELL)).state;
    const { state, transition } = tickRamp(s, input(DWELL + 1, { killed: true }));
    expect(transition?.action).toBe('ramp-stop');
    expect(transition?.reason).toContain('kill switch');
    expect(state).toMatchObject({ phase: 'done', end: 'killed' });
    s = state;
    expect(breakingPoint(s).lastSafe?.level).toBe(100);
  });

  it('completes when the last level survives: no breaking point', () => {
    let s = startRamp({ identity: 'x', kind: 'delay', levels: [100, 250] }, 0);
    s = tickRamp(s, input(DWELL)).state;
    const { state, transition } = tickRamp(s, input(2 * DWELL));
    expect(transition?.action).toBe('ramp-done');
    expect(state).toMatchObject({ phase: 'done', end: 'completed' });
    expect(breakingPoint(state)).toMatchObject({ lastSafe: { level: 250 }, firstHarmful: null });
  });
});
