/**
 * The primary's sum of its workers' evidence. Each worker sends, once a second, its completed
 * seconds of per-arm ArmSecond statistics and `through` (it will send nothing older). A second is
 * handed to the engines once every live worker is past it — or once it is `graceSec` old, so a
 * stalled worker delays decisions by seconds, never forever — summed with `mergeArmSecond`, so the
 * engine sees what one process serving all the traffic would have seen. The same watermark rule as
 * the fleet's (fleet/evidence-log.ts), over IPC instead of PostgreSQL.
 */
import { mergeArmSecond, type ArmSecond } from '../guardrails/arm-second.js';
import type { EvidenceSecond } from '../fleet/evidence-log.js';

/** Seconds kept per route waiting for the watermark; older ones beyond it are dropped and counted. */
const MAX_SECONDS = 600;

/** The pool. */
export interface EvidencePool {
  /** Adds one worker's seconds; `through`: it has sent every second before this one. */
  add(worker: number, through: number, seconds: readonly EvidenceSecond<ArmSecond>[]): void;
  /** The worker is gone (exited): it no longer holds seconds back. */
  forget(worker: number): void;
  /** Seconds every live worker is past (or older than `graceSec`), summed, oldest first; removed from the pool. */
  take(nowSec: number): EvidenceSecond<ArmSecond>[];
  stats(): { pending: number; dropped: number };
}

/**
 * @example
 * const pool = createEvidencePool({ graceSec: 2 });
 * pool.add(1, sec, secondsFromWorker1); pool.add(2, sec, secondsFromWorker2);
 * for (const s of pool.take(sec)) runtime.engine(s.route)?.recordSecond(s.sec, s.arms);
 */
export function createEvidencePool(opts: { graceSec: number }): EvidencePool {
  const through = new Map<number, number>();
  // route → second → arm → sum
  const routes = new Map<string, Map<number, Record<string, ArmSecond>>>();
  let dropped = 0;
  return {
    add(worker, upTo, seconds) {
      through.set(worker, Math.max(through.get(worker) ?? 0, upTo));
      for (const s of seconds) {
        let secs = routes.get(s.route);
        if (!secs) routes.set(s.route, (secs = new Map()));
        const sum = secs.get(s.sec) ?? {};
        for (const [arm, a] of Object.entries(s.arms)) sum[arm] = sum[arm] ? mergeArmSecond(sum[arm], a) : a;
        secs.set(s.sec, sum);
        if (secs.size > MAX_SECONDS) {
          const oldest = Math.min(...secs.keys());
          secs.delete(oldest);
          dropped++;
        }
      }
    },
    forget(worker) {
      through.delete(worker);
    },
    take(nowSec) {
      const live = [...through.values()];
      const watermark = Math.min(nowSec, Math.max(live.length > 0 ? Math.min(...live) : nowSec, nowSec - opts.graceSec));
      const out: EvidenceSecond<ArmSecond>[] = [];
      for (const [route, secs] of routes) {
        for (const [sec, arms] of secs) {
          if (sec >= watermark) continue;
          out.push({ route, sec, arms });
          secs.delete(sec);
        }
        if (secs.size === 0) routes.delete(route);
      }
      return out.sort((a, b) => a.sec - b.sec || (a.route < b.route ? -1 : 1));
    },
    stats: () => ({ pending: [...routes.values()].reduce((n, s) => n + s.size, 0), dropped }),
  };
}
