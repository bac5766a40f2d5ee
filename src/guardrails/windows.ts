/**
 * Per-arm 1-second buckets (requests, bad, slow, capped) in a ring sized for the longest burn-rate
 * window, with running sums for each configured window length. Advancing one second subtracts the
 * bucket leaving each window and clears the slot being reused, so a window total is O(1) to read and
 * O(windows) per second to maintain — no 30-minute scans on the once-a-second evaluation.
 */
import type { WindowSnapshot } from './types.js';

/** Totals of one window. */
export interface WindowTotals {
  requests: number;
  bad: number;
  slow: number;
  capped: number;
}

/** One arm's buckets. Seconds are epoch seconds (Math.floor(ms / 1000)). */
export interface ArmWindows {
  /** Adds counts to second `sec`; moves the clock forward when `sec` is newer; ignores seconds already out of the ring. */
  add(sec: number, requests: number, bad: number, slow: number, capped: number): void;
  /** Moves the clock to `sec` (no-op when not newer), expiring old seconds from every window. */
  advance(sec: number): void;
  /** Totals of the last `seconds` seconds ending at the current second; `seconds` must be a configured length. */
  totals(seconds: number): WindowTotals;
  /** Forgets everything (a variant restarting with fresh evidence). */
  clear(): void;
  snapshot(): WindowSnapshot;
}

const FIELDS = 4;

/**
 * Creates the ring for window lengths `lengths` (seconds); the ring holds max(lengths) seconds.
 * @example
 * const w = createArmWindows([60, 300]);
 * w.add(1_700_000_000, 10, 1, 0, 0);
 * w.totals(60).bad // 1
 */
export function createArmWindows(lengths: readonly number[], restored?: WindowSnapshot): ArmWindows {
  const lens = [...new Set(lengths.map((l) => Math.max(1, Math.round(l))))];
  const size = Math.max(1, ...lens);
  const buckets = new Uint32Array(size * FIELDS);
  const sums = new Float64Array(lens.length * FIELDS);
  const slotOf = new Map(lens.map((l, i) => [l, i]));
  let cur = -1;

  const clear = () => {
    buckets.fill(0);
    sums.fill(0);
    cur = -1;
  };

  const advance = (sec: number) => {
    if (sec <= cur) return;
    if (cur < 0 || sec - cur >= size) {
      buckets.fill(0);
      sums.fill(0);
      cur = sec;
      return;
    }
    for (let t = cur + 1; t <= sec; t++) {
      for (let i = 0; i < lens.length; i++) {
        // Second t − L leaves the window (t − L, t]; its slot still holds it because L ≤ size.
        const o = ((t - lens[i]!) % size) * FIELDS;
        for (let f = 0; f < FIELDS; f++) sums[i * FIELDS + f]! -= buckets[o + f]!;
      }
      buckets.fill(0, (t % size) * FIELDS, (t % size) * FIELDS + FIELDS);
    }
    cur = sec;
  };

  const add = (sec: number, requests: number, bad: number, slow: number, capped: number) => {
    if (sec > cur) advance(sec);
    if (sec <= cur - size) return;
    const o = (sec % size) * FIELDS;
    buckets[o]! += requests;
    buckets[o + 1]! += bad;
    buckets[o + 2]! += slow;
    buckets[o + 3]! += capped;
    for (let i = 0; i < lens.length; i++) {
      if (sec <= cur - lens[i]!) continue;
      const s = i * FIELDS;
      sums[s]! += requests;
      sums[s + 1]! += bad;
      sums[s + 2]! += slow;
      sums[s + 3]! += capped;
    }
  };

  if (restored && restored.cur >= 0) {
    cur = restored.cur;
    for (const [sec, r, b, s, c] of restored.buckets) add(sec, r, b, s, c);
  }

  return {
    add,
    advance,
    totals(seconds) {
      const i = slotOf.get(seconds);
      if (i === undefined) return { requests: 0, bad: 0, slow: 0, capped: 0 };
      const s = i * FIELDS;
      return { requests: sums[s]!, bad: sums[s + 1]!, slow: sums[s + 2]!, capped: sums[s + 3]! };
    },
    clear,
    snapshot() {
      const out: WindowSnapshot['buckets'] = [];
      if (cur < 0) return { cur, buckets: out };
      for (let sec = Math.max(0, cur - size + 1); sec <= cur; sec++) {
        const o = (sec % size) * FIELDS;
        if (buckets[o] || buckets[o + 1] || buckets[o + 2] || buckets[o + 3]) {
          out.push([sec, buckets[o]!, buckets[o + 1]!, buckets[o + 2]!, buckets[o + 3]!]);
        }
      }
      return { cur, buckets: out };
    },
  };
}
