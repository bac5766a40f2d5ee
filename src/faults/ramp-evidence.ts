/**
 * One ramp step's evidence, in memory: the slice's and the control's requests per second (for the
 * guardrails' ratio test of real error rates), each group's exposed units with their goal value
 * (for the experiments' lift and confidence sequence), and the injected failures — a stream of
 * their own, never mixed into the real errors, so the budget can be judged on them alone. Bounded:
 * at most `maxUnits` units and `maxSeconds` pending seconds; beyond, new entries are dropped and
 * counted, never an error on the request path.
 */
import { addLL, emptyLL } from '../guardrails/ratio-test.js';
import type { ArmSums } from '../stats/lift.js';

/** Counts of one group (slice or control) in a step. */
export interface GroupCounts {
  requests: number;
  bad: number;
}

/** Per-unit goal sums of one group. */
type Sums = { units: number; sum: number; sumSq: number };

/** One step's evidence. */
export interface StepEvidence {
  /** A request of the slice (`slice`) or control, ended with this real outcome (bad: a 5xx, a reset). */
  request(slice: boolean, sec: number, bad: boolean): void;
  /** A unit of the group answered in this step (its goal events count from now). */
  expose(unit: string, slice: boolean): void;
  /** A goal event of `unit` with `value`; a conversion (`once`) counts 1 per unit however often. */
  goal(unit: string, value: number, once: boolean): void;
  /** One second's counts at once (a worker's relayed second, faults/ramp-relay.ts): n slice, n control, bad of each. */
  addSecond(sec: number, nf: number, nc: number, bf: number, bc: number): void;
  /** `n` (default 1) injected failures (an abort, a reset, a delayed request that ended in a failure). */
  injectedFailure(n?: number): void;
  /** Moves every second before `sec` into the ratio test's log-likelihoods. */
  settle(sec: number): void;
  readonly ll: Float64Array;
  readonly slice: GroupCounts;
  readonly control: GroupCounts;
  goalSums(): { slice: ArmSums; control: ArmSums };
  readonly injected: number;
  readonly dropped: number;
}

/**
 * Creates an empty step evidence judged at ratio `tolerance`.
 * @example const ev = createStepEvidence(1.5); ev.request(true, sec, false); ev.settle(sec + 1)
 */
export function createStepEvidence(tolerance: number, limits: { maxUnits?: number; maxSeconds?: number } = {}): StepEvidence {
  const maxUnits = limits.maxUnits ?? 100_000;
  const maxSeconds = limits.maxSeconds ?? 120;
  const ll = emptyLL();
  const seconds = new Map<number, [number, number, number, number]>();
  const units = new Map<string, { slice: boolean; value: number }>();
  const sums = { slice: { units: 0, sum: 0, sumSq: 0 } as Sums, control: { units: 0, sum: 0, sumSq: 0 } as Sums };
  const slice: GroupCounts = { requests: 0, bad: 0 };
  const control: GroupCounts = { requests: 0, bad: 0 };
  let injected = 0;
  let dropped = 0;
  const addSecond = (sec: number, nf: number, nc: number, bf: number, bc: number): void => {
    slice.requests += nf;
    slice.bad += bf;
    control.requests += nc;
    control.bad += bc;
    let cell = seconds.get(sec);
    if (!cell) {
      if (seconds.size >= maxSeconds) return void dropped++;
      seconds.set(sec, (cell = [0, 0, 0, 0]));
    }
    cell[0] += nf;
    cell[1] += nc;
    cell[2] += bf;
    cell[3] += bc;
  };
  return {
    request(inSlice, sec, bad) {
      const b = bad ? 1 : 0;
      addSecond(sec, inSlice ? 1 : 0, inSlice ? 0 : 1, inSlice ? b : 0, inSlice ? 0 : b);
    },
    addSecond,
    expose(unit, inSlice) {
      if (units.has(unit)) return;
      if (units.size >= maxUnits) return void dropped++;
      units.set(unit, { slice: inSlice, value: 0 });
      (inSlice ? sums.slice : sums.control).units++;
    },
    goal(unit, value, once) {
      const u = units.get(unit);
      if (!u) return;
      const s = u.slice ? sums.slice : sums.control;
      // Running sums of the per-unit totals: sumSq moves by (v + x)² − v².
      const next = once ? 1 : u.value + value;
      s.sum += next - u.value;
      s.sumSq += next * next - u.value * u.value;
      u.value = next;
    },
    injectedFailure(n = 1) {
      injected += n;
    },
    settle(sec) {
      for (const [s, [nf, nc, bf, bc]] of seconds) {
        if (s >= sec) continue;
        seconds.delete(s);
        // The slice's realized share of that second's requests, as the guardrails use it.
        if (nf + nc > 0) addLL([ll], tolerance, nf / (nf + nc), bf, bc);
      }
    },
    ll,
    slice,
    control,
    goalSums: () => ({ slice: { ...sums.slice }, control: { ...sums.control } }),
    get injected() {
      return injected;
    },
    get dropped() {
      return dropped;
    },
  };
}
