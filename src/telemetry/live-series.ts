/**
 * Per-second live series for the dashboard: for every route × arm (requests outside an experiment's
 * audience as `outside:control`, and shadow, as `shadow:NAME`, like
 * the minute rollups) a ring of the last hour of seconds — requests, errors, p50 and p99 latency. Only
 * the current second keeps a latency histogram; when a second closes its quantiles are computed once
 * and stored as two floats, so an arm costs ~58 KB however busy it is, and the number of series is
 * capped (an arm that saw nothing for an hour is evicted first). The minute rollups keep the longer
 * history; this is only what a person watching a rollout needs at 1 s resolution.
 */
import { classifyOutcome, outcomeRules, type OutcomeRules } from '../guardrails/outcome.js';
import { emptyHistogram, LATENCY_BOUNDS, observe, quantile } from '../stats/histogram.js';
import type { ForwardOutcome } from '../forward/forwarder.js';
import type { CapturedResponse } from '../compare/types.js';
import type { ExchangeObserver, ExchangeTracker, ShadowTracker } from './hooks.js';

/** Seconds kept per series (one hour). */
export const LIVE_SECONDS = 3600;

/** Series kept at most (route × arm); beyond it the stalest is evicted, or the new one not kept. */
export const MAX_LIVE_SERIES = 256;

/** One arm's closed seconds from `from` (epoch s), column by column; latency is null for an idle second. */
export interface LiveColumns {
  readonly requests: number[];
  readonly errors: number[];
  readonly p50Ms: (number | null)[];
  readonly p99Ms: (number | null)[];
}

/** A route's closed seconds `[from, to)`, per arm (shadows as `shadow:NAME`). */
export interface LiveSlice {
  readonly route: string;
  readonly from: number;
  readonly to: number;
  readonly arms: Record<string, LiveColumns>;
}

/**
 * One closed second of one route × arm as another process hands it over: counts and the second's
 * latency histogram, sparse (`[bucket, count, bucket, count, …]` over LATENCY_BOUNDS), so the
 * receiver can merge several processes' seconds and take exact-bucket quantiles of the sum.
 */
export interface LiveSecond {
  readonly route: string;
  readonly arm: string;
  readonly sec: number;
  readonly requests: number;
  readonly errors: number;
  readonly latency: readonly number[];
}

/** Merged histograms kept per series for seconds other processes may still add to. */
const RECENT_SECONDS = 8;

/** The source and its observer. */
export interface LiveSeries {
  readonly observer: ExchangeObserver;
  /** Closed seconds of `route` from `since` (epoch s; clamped to the last hour and to its first observed second) up to the current second. */
  read(route: string, since?: number): LiveSlice;
  /** How many series are kept and how many samples were not recorded (cap reached). */
  stats(): { series: number; dropped: number };
  /**
   * Hands every second this process closes (with traffic) to `fn` from now on (a worker of a group:
   * to its primary). Called as seconds close, so keep `fn` cheap (queue it).
   */
  exportTo(fn: (s: LiveSecond) => void): void;
  /** Closes every series' open second before `sec`, so idle arms hand over their last second too. */
  closeBefore(sec: number): void;
  /** Adds another process's closed second (the primary of a group, which serves no traffic itself). */
  absorb(s: LiveSecond): void;
}

/** One route × arm: rings indexed by second % LIVE_SECONDS, and the open second's histogram. */
class Ring {
  constructor(
    readonly route: string,
    readonly arm: string,
    readonly emit: { fn?: (s: LiveSecond) => void },
  ) {}
  /** Merged histograms of recent seconds other processes reported (absorb), by second. */
  recent: Map<number, number[]> | undefined;
  readonly requests = new Uint32Array(LIVE_SECONDS);
  readonly errors = new Uint32Array(LIVE_SECONDS);
  readonly p50 = new Float32Array(LIVE_SECONDS).fill(Number.NaN);
  readonly p99 = new Float32Array(LIVE_SECONDS).fill(Number.NaN);
  /** The open second (epoch s); its counts are in the rings, its latency only in `hist`. */
  cur = -1;
  /** The first second this series saw: nothing before it was observed (which is not zero traffic). */
  born = -1;
  readonly hist = emptyHistogram(LATENCY_BOUNDS);
  histCount = 0;

  /** Closes the open second and clears every slot up to `sec`, which becomes the open one. */
  advance(sec: number): void {
    if (sec <= this.cur) return;
    if (this.born < 0) this.born = sec;
    if (this.cur >= 0) this.#close();
    const from = this.cur < 0 || sec - this.cur > LIVE_SECONDS ? sec - LIVE_SECONDS + 1 : this.cur + 1;
    for (let s = from; s <= sec; s++) {
      const i = s % LIVE_SECONDS;
      this.requests[i] = 0;
      this.errors[i] = 0;
      this.p50[i] = Number.NaN;
      this.p99[i] = Number.NaN;
    }
    this.cur = sec;
  }

  add(sec: number, bad: boolean, latencyMs: number): void {
    this.advance(sec);
    // A late sample of a closed second (a clock step back) still counts, without its latency.
    const i = (sec < this.cur ? Math.max(sec, this.cur - LIVE_SECONDS + 1) : sec) % LIVE_SECONDS;
    this.requests[i]!++;
    if (bad) this.errors[i]!++;
    if (sec === this.cur) {
      observe(this.hist, LATENCY_BOUNDS, latencyMs);
      this.histCount++;
    }
  }

  #close(): void {
    const i = this.cur % LIVE_SECONDS;
    if (this.emit.fn && this.requests[i]! > 0) {
      const latency: number[] = [];
      for (let b = 0; b < this.hist.length; b++) if (this.hist[b]! > 0) latency.push(b, this.hist[b]!);
      this.emit.fn({ route: this.route, arm: this.arm, sec: this.cur, requests: this.requests[i]!, errors: this.errors[i]!, latency });
    }
    if (this.histCount === 0) return;
    this.p50[i] = quantile(this.hist, LATENCY_BOUNDS, 0.5) ?? Number.NaN;
    this.p99[i] = quantile(this.hist, LATENCY_BOUNDS, 0.99) ?? Number.NaN;
    this.hist.fill(0);
    this.histCount = 0;
  }

  /** Adds another process's second: counts add up, quantiles are taken over the merged histogram. */
  merge(s: LiveSecond): void {
    this.advance(s.sec);
    if (s.sec <= this.cur - LIVE_SECONDS) return;
    const i = s.sec % LIVE_SECONDS;
    this.requests[i]! += s.requests;
    this.errors[i]! += s.errors;
    this.recent ??= new Map();
    let h = this.recent.get(s.sec);
    if (!h) {
      this.recent.set(s.sec, (h = emptyHistogram(LATENCY_BOUNDS)));
      // Bounded: a process reporting a second this late only adds to its counts, not its quantiles.
      if (this.recent.size > RECENT_SECONDS) this.recent.delete(Math.min(...this.recent.keys()));
    }
    for (let k = 0; k + 1 < s.latency.length; k += 2) h[s.latency[k]!]! += s.latency[k + 1]!;
    this.p50[i] = quantile(h, LATENCY_BOUNDS, 0.5) ?? Number.NaN;
    this.p99[i] = quantile(h, LATENCY_BOUNDS, 0.99) ?? Number.NaN;
  }

  columns(from: number, to: number): LiveColumns {
    const out: LiveColumns = { requests: [], errors: [], p50Ms: [], p99Ms: [] };
    for (let s = from; s < to; s++) {
      const i = s % LIVE_SECONDS;
      const known = s <= this.cur && s > this.cur - LIVE_SECONDS;
      out.requests.push(known ? this.requests[i]! : 0);
      out.errors.push(known ? this.errors[i]! : 0);
      const p50 = known ? this.p50[i]! : Number.NaN;
      const p99 = known ? this.p99[i]! : Number.NaN;
      out.p50Ms.push(Number.isNaN(p50) ? null : p50);
      out.p99Ms.push(Number.isNaN(p99) ? null : p99);
    }
    return out;
  }
}

type RecordFn = (route: string, arm: string, status: number, latencyMs: number, rules: OutcomeRules) => void;

/** One exchange's live tracker: one object with fields, not a closure and an object per request. */
class LiveTracker implements ExchangeTracker {
  readonly #record: RecordFn;
  readonly #route: string;
  readonly #arm: string;
  readonly #rules: OutcomeRules;

  constructor(record: RecordFn, route: string, arm: string, rules: OutcomeRules) {
    this.#record = record;
    this.#route = route;
    this.#arm = arm;
    this.#rules = rules;
  }

  end(o: ForwardOutcome, totalMs: number): void {
    this.#record(this.#route, this.#arm, o.status, totalMs, this.#rules);
  }

  shadow(name: string, kind: 'shadow' | 'noise'): ShadowTracker | undefined {
    if (kind !== 'shadow') return undefined;
    return new LiveShadow(this.#record, this.#route, shadowSeries(name), this.#rules);
  }
}

/** Series names of shadows (`shadow:NAME`), built once per configured name rather than per copy. */
const shadowSeriesNames = new Map<string, string>();

function shadowSeries(name: string): string {
  let s = shadowSeriesNames.get(name);
  if (s === undefined) {
    // Names come from the config (bounded); a reload's renames add a few.
    if (shadowSeriesNames.size >= 4096) shadowSeriesNames.clear();
    shadowSeriesNames.set(name, (s = `shadow:${name}`));
  }
  return s;
}

/** One shadow copy's live tracker: fields, not a closure and an object per copy. */
class LiveShadow implements ShadowTracker {
  constructor(
    readonly record: RecordFn,
    readonly route: string,
    readonly series: string,
    readonly rules: OutcomeRules,
  ) {}

  end(res: CapturedResponse): void {
    this.record(this.route, this.series, res.status, res.latencyMs, this.rules);
  }
}

/**
 * Creates the live series source; register `observer` with the other exchange observers.
 * @example
 * const live = createLiveSeries();
 * observers.push(namedObserver('live', live.observer));
 * live.read('checkout').arms.canary?.requests // per-second counts of the last hour
 */
export function createLiveSeries(opts: { now?: () => number } = {}): LiveSeries {
  const now = opts.now ?? Date.now;
  const rings = new Map<string, Map<string, Ring>>();
  const rulesByRoute = new WeakMap<object, OutcomeRules>();
  let size = 0;
  let dropped = 0;
  const emit: { fn?: (s: LiveSecond) => void } = {};

  const ringOf = (route: string, arm: string, sec: number): Ring | undefined => {
    let arms = rings.get(route);
    const found = arms?.get(arm);
    if (found) return found;
    if (size >= MAX_LIVE_SERIES && !evictStale(sec)) {
      dropped++;
      return undefined;
    }
    if (!arms) rings.set(route, (arms = new Map()));
    const ring = new Ring(route, arm, emit);
    arms.set(arm, ring);
    size++;
    return ring;
  };

  // Evicts every series idle for the whole hour; true when room was made.
  const evictStale = (sec: number): boolean => {
    for (const [route, arms] of rings) {
      for (const [arm, ring] of arms) {
        if (ring.cur <= sec - LIVE_SECONDS) {
          arms.delete(arm);
          size--;
        }
      }
      if (arms.size === 0) rings.delete(route);
    }
    return size < MAX_LIVE_SERIES;
  };

  const record: RecordFn = (route, arm, status, latencyMs, rules) => {
    const c = classifyOutcome(rules, status, latencyMs);
    if (!c.counted) return;
    // Recorded when the exchange ends (not when it began): the newest second is what a live chart shows.
    const sec = Math.floor(now() / 1000);
    ringOf(route, arm, sec)?.add(sec, c.bad, latencyMs);
  };

  return {
    observer: {
      begin(x) {
        let rules = rulesByRoute.get(x.route);
        if (!rules) rulesByRoute.set(x.route, (rules = outcomeRules(x.route.guardrails)));
        // A request outside the experiment's audience (targeting, layer slice) is served by control
        // but is no control exposure: it gets its own series, `outside:control`, so the control
        // line compares like with like.
        const arm = x.excluded === undefined ? x.arm : `outside:${x.arm}`;
        return new LiveTracker(record, x.route.name, arm, rules);
      },
    },
    read(route, since) {
      const to = Math.floor(now() / 1000);
      const series = rings.get(route) ?? new Map<string, Ring>();
      // From the first second any arm of the route saw: before it there is no data, not zero traffic.
      let born = to;
      for (const ring of series.values()) born = Math.min(born, ring.born);
      const from = Math.min(to, Math.max(to - LIVE_SECONDS + 1, born, Math.floor(since ?? 0)));
      const arms: Record<string, LiveColumns> = {};
      for (const [arm, ring] of series) {
        ring.advance(to);
        arms[arm] = ring.columns(from, to);
      }
      return { route, from, to, arms };
    },
    stats: () => ({ series: size, dropped }),
    exportTo(fn) {
      emit.fn = fn;
    },
    closeBefore(sec) {
      for (const arms of rings.values()) for (const ring of arms.values()) if (ring.cur >= 0 && ring.cur < sec) ring.advance(sec);
    },
    absorb(s) {
      ringOf(s.route, s.arm, s.sec)?.merge(s);
    },
  };
}
