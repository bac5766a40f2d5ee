// The compare share: maxShare while the loop has idle time, saturatedShare while client traffic
// alone (the loop's busy time minus compare's own) fills more than 1 − maxShare − 0.05 of a window; re-decided
// once per window. A fake clock and event-loop utilization source drive it.
import { describe, expect, it } from 'vitest';
import { createCompareShare, type LoopClock } from '../../../src/compare/duty-cycle.js';

function fakeLoop() {
  const state = { now: 0, idle: 0, active: 0 };
  const clock: LoopClock = { now: () => state.now, elu: () => ({ idle: state.idle, active: state.active }) };
  // Spends `ms` of wall time, `busy` of it active.
  const spend = (ms: number, busy: number) => {
    state.now += ms;
    state.active += busy;
    state.idle += ms - busy;
  };
  return { clock, spend };
}

describe('compare share', () => {
  it('keeps maxShare while the loop has idle time, lowers it while clients saturate it, and recovers', () => {
    const { clock, spend } = fakeLoop();
    const duty = createCompareShare({ clock, maxShare: 0.15, saturatedShare: 0.05, windowMs: 1000 });
    expect(duty.share()).toBe(0.15);
    // 70% busy of which compare took 10%: clients 60%, room to spare.
    spend(1000, 700);
    duty.busy(100);
    expect(duty.share()).toBe(0.15);
    // 100% busy of which compare took 10%: clients 90% > 80%.
    spend(1000, 1000);
    duty.busy(100);
    expect(duty.share()).toBe(0.05);
    // Within a window the decision holds, whatever the loop does.
    spend(500, 0);
    expect(duty.share()).toBe(0.05);
    // The rest of that window and the next: mostly idle again.
    spend(500, 100);
    expect(duty.share()).toBe(0.15);
  });

  it("counts compare's own busy time out: a loop kept busy by comparing is not saturated by clients", () => {
    const { clock, spend } = fakeLoop();
    const duty = createCompareShare({ clock, maxShare: 0.15, saturatedShare: 0.05, windowMs: 1000 });
    // 95% busy, but 20% of it comparing (a burst it catches up on): clients 75%, room to spare.
    spend(1000, 950);
    duty.busy(200);
    expect(duty.share()).toBe(0.15);
    spend(1000, 950);
    duty.busy(50);
    expect(duty.share()).toBe(0.05);
  });

  it('switches on at saturation even while compare still takes its full share (clients at 1 − maxShare)', () => {
    const { clock, spend } = fakeLoop();
    const duty = createCompareShare({ clock, maxShare: 0.15, saturatedShare: 0.05, windowMs: 1000 });
    // A saturated loop: no idle time, compare 15%, clients 84% (the loop's own overhead takes the rest).
    spend(1000, 1000);
    duty.busy(160);
    expect(duty.share()).toBe(0.05);
  });

  it('keeps one share when saturatedShare equals maxShare (an explicit maxShare, as replay sets)', () => {
    const { clock, spend } = fakeLoop();
    const duty = createCompareShare({ clock, maxShare: 0.6, saturatedShare: 0.6, windowMs: 1000 });
    spend(1000, 1000);
    expect(duty.share()).toBe(0.6);
  });
});
