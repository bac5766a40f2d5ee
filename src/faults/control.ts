/**
 * The process-wide fault controls: the kill switch (`fieldlab faults off`, POST /faults/off) and the
 * per-route cap on concurrently faulted requests (`fault.maxActive`). Each process keeps its own
 * count against its share of the cap (`setFaultShare`: a fleet replica's or a worker's part, so the
 * parts add up to maxActive) and its own switch, which the primary and the fleet keep in step (README).
 * Turning faults off also releases every delay being held at once, so no faulted request is still
 * waiting a moment after the call.
 */
import type { FaultDecision } from './decide.js';
import { countInjected, countSkipped } from './fault-stats.js';

let enabled = true;
let changedAt = new Date();
const active = new Map<string, number>();
/** This process's part of every maxActive: its rank among `of` processes sharing the cap (of 1: all of it). */
let share = { rank: 0, of: 1 };
/** Delays and response faults being held: their release callbacks (the timer's own, or the kill switch's). */
const held = new Set<() => void>();

/**
 * Admits a drawn fault on `route`: undefined when the switch is off or the route already has
 * `maxActive` faults in progress (both counted). An admitted fault must be ended with `endFault`.
 * @example const d = admitFault('checkout', decision, 100)
 */
export function admitFault(route: string, d: FaultDecision, maxActive: number): FaultDecision | undefined {
  if (!enabled) return void countSkipped(route, 'off');
  const n = active.get(route) ?? 0;
  if (n >= shareOf(maxActive)) return void countSkipped(route, 'max-active');
  active.set(route, n + 1);
  countInjected(route, d.kind);
  return d;
}

/**
 * Sets this process's share of every route's maxActive: `of` processes split the cap, this one is
 * `rank` of them (0-based); `of` 0 means no share yet (no fault is admitted). Set by the fleet's
 * replica view (fleet-share.ts) or a `workers: N` worker's index.
 * @example setFaultShare(1, 3) // maxActive 10: ranks 0..2 get 4, 3, 3
 */
export function setFaultShare(rank: number, of: number): void {
  share = { rank, of };
}

/**
 * This process's part of `maxActive`: floor(maxActive / of), plus one for the first
 * `maxActive mod of` ranks, so the parts add up to exactly maxActive (a part may be 0).
 * @example shareOf(10) // 10 alone; 4 as rank 0 of 3
 */
export function shareOf(maxActive: number): number {
  if (share.of <= 0) return 0;
  return Math.floor(maxActive / share.of) + (share.rank < maxActive % share.of ? 1 : 0);
}

/**
 * Ends one admitted fault on `route` (the abort answered, the delay over).
 * @example endFault('checkout')
 */
export function endFault(route: string): void {
  const n = (active.get(route) ?? 1) - 1;
  if (n <= 0) active.delete(route);
  else active.set(route, n);
}

/**
 * Calls `go` after `ms`, or at once when faults are turned off meanwhile.
 * @example holdDelay(250, () => forward(...))
 */
export function holdDelay(ms: number, go: () => void): void {
  let done = false;
  const release = (): void => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    held.delete(release);
    go();
  };
  const timer = setTimeout(release, ms);
  held.add(release);
}

/**
 * Registers `release` to run when faults are turned off (a response fault in progress); returns
 * the call that unregisters it.
 * @example const unregister = onFaultsOff(() => sendEverythingNow())
 */
export function onFaultsOff(release: () => void): () => void {
  held.add(release);
  return () => void held.delete(release);
}

/**
 * Turns every fault on or off in this process; off also releases every held delay now.
 * @example setFaultsEnabled(false)
 */
export function setFaultsEnabled(on: boolean): void {
  if (on !== enabled) changedAt = new Date();
  enabled = on;
  if (!on) for (const release of [...held]) release();
}

/**
 * The switch and the faults in progress (GET /faults).
 * @example faultState() // { enabled: true, changedAt: '…', active: { checkout: 3 } }
 */
export function faultState(): {
  enabled: boolean;
  changedAt: string;
  active: Record<string, number>;
  share: { rank: number; of: number };
} {
  return {
    enabled,
    changedAt: changedAt.toISOString(),
    active: Object.fromEntries(active),
    share: { ...share },
  };
}
