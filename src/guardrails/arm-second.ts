/**
 * The guardrails' sufficient statistics: what one process saw of one arm of one route in one second.
 * Every field is a plain count (or a histogram of counts), so replicas and workers add theirs with
 * `mergeArmSecond` and the engine decides on the sum exactly as it would on one process's traffic.
 * The per-unit and per-client caps behind `exposure…`, `badObs`, `slowObs` and `top…` are applied
 * per process (collector.ts); summed over a fleet they stay conservative (see the README).
 */
import { LATENCY_BOUNDS } from '../stats/histogram.js';

/** One arm's second. */
export interface ArmSecond {
  /** Every counted request (not QA-forced, not abandoned by the client). */
  requests: number;
  /** Bad requests (5xx, the proxy's 502/503/504, `badStatuses`), all of them. */
  bad: number;
  /** Requests whose upstream time exceeded the latency SLO, all of them. */
  slow: number;
  /** Requests in the evidence: not from a unit or client sitting out its cap. */
  exposure: number;
  exposureBad: number;
  exposureSlow: number;
  /** Distinct units (sticky keys) with a request in the evidence. */
  units: number;
  /** Distinct units with ≥ 1 bad (slow) request in the evidence: one observation per unit per second. */
  badObs: number;
  slowObs: number;
  /** Distinct client addresses among the bad observations. */
  badClients: number;
  /**
   * How much the largest single contributor (one unit or one client address) of the current calendar
   * hour grew this second, in observations; summed over an hour's seconds (and replicas) it bounds
   * what any one unit or client added to badObs/slowObs in that hour.
   */
  topBad: number;
  topSlow: number;
  /** Histogram of upstream time over LATENCY_BOUNDS (compare/histogram.ts), evidence requests only. */
  latency: number[];
}

/** Number of latency bins (LATENCY_BOUNDS plus one overflow bin). */
export const LATENCY_BINS = LATENCY_BOUNDS.length + 1;

/** Every count field of ArmSecond (all but the histogram). */
export const ARM_COUNTS = [
  'requests',
  'bad',
  'slow',
  'exposure',
  'exposureBad',
  'exposureSlow',
  'units',
  'badObs',
  'slowObs',
  'badClients',
  'topBad',
  'topSlow',
] as const;
const COUNTS = ARM_COUNTS;

/**
 * An all-zero second.
 * @example const s = emptyArmSecond(); s.requests += 1
 */
export function emptyArmSecond(): ArmSecond {
  const s = Object.fromEntries(COUNTS.map((k) => [k, 0])) as Omit<ArmSecond, 'latency'>;
  return { ...s, latency: new Array<number>(LATENCY_BINS).fill(0) };
}

/**
 * The sum of two seconds (two replicas, two workers): a new object, inputs untouched.
 * @example mergeArmSecond(replicaA, replicaB).badObs === replicaA.badObs + replicaB.badObs
 */
export function mergeArmSecond(a: ArmSecond, b: ArmSecond): ArmSecond {
  const out = emptyArmSecond();
  for (const k of COUNTS) out[k] = a[k] + b[k];
  for (let i = 0; i < LATENCY_BINS; i++) out.latency[i] = (a.latency[i] ?? 0) + (b.latency[i] ?? 0);
  return out;
}

/**
 * Whether `x` has the shape of an ArmSecond with finite, non-negative counts (input from another process).
 * @example isArmSecond(JSON.parse(text))
 */
export function isArmSecond(x: unknown): x is ArmSecond {
  if (typeof x !== 'object' || x === null) return false;
  const o = x as Record<string, unknown>;
  const ok = (v: unknown) => typeof v === 'number' && Number.isFinite(v) && v >= 0;
  return COUNTS.every((k) => ok(o[k])) && Array.isArray(o.latency) && o.latency.length === LATENCY_BINS && o.latency.every(ok);
}
