/**
 * Stored arm profiles (README "Arm profiles"): per minute × route × arm × (service, operation), what
 * the profiled requests of that arm called. One row with `op` '' per minute × route × arm carries the
 * arm's own counts (requests profiled, requests whose spans never came); the other rows carry one
 * operation's calls, errors, Σ calls² per request (for the interval of calls per request), total ms
 * and a latency histogram (LATENCY_BOUNDS). Every field is a sum, so minutes, replicas and the
 * batcher's pending rows merge by addition.
 */
import { addHistograms } from './histogram-codec.js';

/** The `op` of an arm's own row. */
export const ARM_ROW = '';

/** One row, as written (with its minute) or as read (summed over minutes: minute 0). */
export interface ProfileRow {
  /** Start of the minute, epoch ms. */
  readonly minute: number;
  readonly route: string;
  readonly arm: string;
  /** "service operation", or ARM_ROW. */
  readonly op: string;
  requests: number;
  missing: number;
  calls: number;
  errors: number;
  sumSq: number;
  totalMs: number;
  latency: number[];
}

/** A fresh row of zeros. */
export function emptyProfileRow(minute: number, route: string, arm: string, op: string): ProfileRow {
  return {
    minute,
    route,
    arm,
    op,
    requests: 0,
    missing: 0,
    calls: 0,
    errors: 0,
    sumSq: 0,
    totalMs: 0,
    latency: [],
  };
}

/** Adds `b` into `a` (mutates and returns `a`). */
export function addProfileRow(a: ProfileRow, b: Omit<ProfileRow, 'minute' | 'route' | 'arm' | 'op'>): ProfileRow {
  a.requests += b.requests;
  a.missing += b.missing;
  a.calls += b.calls;
  a.errors += b.errors;
  a.sumSq += b.sumSq;
  a.totalMs += b.totalMs;
  // In place when the layouts match (the hot case: the batcher adding one request's increment).
  if (b.latency.length === 0) return a;
  if (a.latency.length !== b.latency.length) a.latency = addHistograms(a.latency, b.latency);
  else for (let i = 0; i < b.latency.length; i++) a.latency[i]! += b.latency[i]!;
  return a;
}

/**
 * Sums rows per (route, arm, op) over their minutes; both stores read this way, and the profile merges
 * the batcher's pending rows with it.
 * @example mergeProfileRows([{ …, arm: 'v2', op: 'db SELECT', calls: 1 }, { …same, calls: 2 }]) // one row, calls 3
 */
export function mergeProfileRows(rows: Iterable<ProfileRow>): ProfileRow[] {
  const out = new Map<string, ProfileRow>();
  for (const r of rows) {
    const key = `${r.route}\0${r.arm}\0${r.op}`;
    const seen = out.get(key);
    if (seen) addProfileRow(seen, r);
    else out.set(key, addProfileRow(emptyProfileRow(0, r.route, r.arm, r.op), r));
  }
  return [...out.values()];
}
