/**
 * One bandit decider per group or fleet. Every process serving a bandit route routes with the same
 * weights, but only one computes them and stores the decision: the primary of a `--workers` group
 * (it sends each change to its workers over IPC), or in a PostgreSQL fleet the replica holding the
 * route's bandit lease (fleet/bandit-leader.ts). The others follow: they adopt the decider's
 * weights as they arrive (IPC message, the fleet's NOTIFY and poll) and keep the last ones when the
 * decider goes away. What crosses a process boundary is checked here before anything applies it.
 */
import type { ArmPosterior } from './thompson.js';

/** What a decider hands its followers: the weights it applied and the numbers behind them. */
export interface BanditShared {
  /** The route's arm names, control first (a follower whose config has other arms ignores it). */
  readonly arms: readonly string[];
  /** Percent per arm, in `arms` order. */
  readonly percents: readonly number[];
  readonly posteriors: readonly ArmPosterior[];
  readonly phase: 'burn-in' | 'thompson';
  /** Epoch ms of the update. */
  readonly updatedAt: number;
}

/** How a fleet replica takes part in deciding (fleet mode only; a group's primary decides alone). */
export interface BanditLeader {
  /** Takes or renews the route's bandit lease: its epoch, or null when another replica decides. */
  lead(route: string): Promise<number | null>;
  /** Publishes an applied change fenced by `epoch`: its sequence number, or undefined when deposed. */
  publish(route: string, epoch: number, shared: BanditShared): Promise<number | undefined>;
  /** Hands every lease this process holds over (graceful stop). */
  release(): Promise<void>;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isPercent = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x) && x >= 0 && x <= 100;
const isNum = (x: unknown): x is number => typeof x === 'number' && Number.isFinite(x);

function isPosterior(x: unknown): x is ArmPosterior {
  return (
    isObj(x) && typeof x.arm === 'string' && isNum(x.alpha) && isNum(x.beta) && isNum(x.mean) && isNum(x.pBest) && isPercent(x.percent)
  );
}

/**
 * Whether `x` (read from the store or another process) is a well-formed BanditShared whose percents add up to 100.
 * @example isBanditShared({ arms: ['control', 'v2'], percents: [5, 95], posteriors: [], phase: 'thompson', updatedAt: 1 }) // true
 */
export function isBanditShared(x: unknown): x is BanditShared {
  if (!isObj(x) || !Array.isArray(x.arms) || !Array.isArray(x.percents) || !Array.isArray(x.posteriors)) return false;
  if (x.arms.length < 2 || x.arms.length !== x.percents.length || !x.arms.every((a) => typeof a === 'string')) return false;
  if (!x.percents.every(isPercent) || !x.posteriors.every(isPosterior)) return false;
  const sum = (x.percents as number[]).reduce((s, p) => s + p, 0);
  return Math.abs(sum - 100) < 0.05 && (x.phase === 'burn-in' || x.phase === 'thompson') && isNum(x.updatedAt);
}
