/**
 * Trace exemplars for the dashboard: per route × arm a few recent notable exchanges — the last
 * ERRORS_KEPT bad ones (5xx, the route's badStatuses) and the SLOWEST_KEPT slowest of the last
 * minute — each with its time, status, latency, method, the route's path *pattern* and the trace id
 * the exchange went upstream under. Nothing else of a request is kept: no raw path or query, no
 * header, no body (those can carry tokens), only the id a tracing UI looks up.
 *
 * Bounded and cheap: fixed slots per arm, capped arms; an ordinary fast, good request costs one
 * comparison against the current minute's slowest-kept floor. Recorded when the exchange has ended,
 * so it can never delay a response.
 */
import type { ForwardOutcome } from '../forward/forwarder.js';
import { classifyOutcome, outcomeRules, type OutcomeRules } from '../guardrails/outcome.js';
import type { ExchangeInfo, ExchangeObserver, ExchangeTracker } from './hooks.js';
import { parseTraceparent } from './traceparent.js';

/** Bad exchanges kept per arm (newest first). */
export const ERRORS_KEPT = 5;
/** Slowest exchanges of the last minute kept per arm. */
export const SLOWEST_KEPT = 5;
/** Route × arm series kept at most; beyond it new ones are not kept (counted). */
export const MAX_EXEMPLAR_SERIES = 256;

const MINUTE_MS = 60_000;

/** One notable exchange. `traceId` is null when the exchange had none (no tracing, no client traceparent). */
export interface Exemplar {
  readonly route: string;
  readonly arm: string;
  /** Epoch ms the exchange ended (arrival + its latency). */
  readonly at: number;
  readonly status: number;
  /** Registry code when the proxy made the status (FL_UPSTREAM_TIMEOUT …), else null. */
  readonly code: string | null;
  readonly ms: number;
  readonly method: string;
  /** The route's match pattern (`/api/carts/:id`), never the request's own path. */
  readonly path: string;
  readonly traceId: string | null;
  readonly bad: boolean;
}

/** One arm's exemplars (`E`: as kept, or as the dashboard model draws them). */
export interface ArmExemplars<E = Exemplar> {
  readonly arm: string;
  readonly errors: readonly E[];
  readonly slowest: readonly E[];
}

/** The keeper and its observer. */
export interface ExemplarKeeper {
  readonly observer: ExchangeObserver;
  /** Offers one ended exchange (the observer does; the primary of a group with its workers' exemplars). */
  offer(e: Exemplar): void;
  /** A route's arms, errors newest first, slowest of the minute before `now` slowest first. */
  read(route: string, now?: number): ArmExemplars[];
  /** Hands every exemplar this process keeps to `fn` from now on (a worker: to its primary). Keep `fn` cheap. */
  exportTo(fn: (e: Exemplar) => void): void;
  stats(): { series: number; dropped: number };
}

/** One arm: a ring of bad exchanges and the slowest of this minute and the previous one. */
class Slots {
  readonly errors: (Exemplar | undefined)[] = new Array<Exemplar | undefined>(ERRORS_KEPT);
  nextError = 0;
  minute = -1;
  cur: Exemplar[] = [];
  prev: Exemplar[] = [];
  /** Latency a request must beat to enter `cur` once it is full. */
  floor = -1;

  /** The one comparison every good request pays (besides the minute check). */
  wants(bad: boolean, ms: number, at: number): boolean {
    return bad || ms > this.floor || Math.floor(at / MINUTE_MS) !== this.minute;
  }

  add(e: Exemplar): boolean {
    let kept = false;
    if (e.bad) {
      this.errors[this.nextError] = e;
      this.nextError = (this.nextError + 1) % ERRORS_KEPT;
      kept = true;
    }
    const m = Math.floor(e.at / MINUTE_MS);
    if (m > this.minute) {
      this.prev = m === this.minute + 1 ? this.cur : [];
      this.cur = [];
      this.minute = m;
      this.floor = -1;
    } else if (m < this.minute) return kept; // a late one from a closed minute: not worth a slot
    if (this.cur.length < SLOWEST_KEPT) this.cur.push(e);
    else if (e.ms > this.floor) this.cur[this.cur.findIndex((x) => x.ms === this.floor)] = e;
    else return kept;
    this.floor = this.cur.length < SLOWEST_KEPT ? -1 : Math.min(...this.cur.map((x) => x.ms));
    return true;
  }

  read(arm: string, now: number): ArmExemplars {
    const errors: Exemplar[] = [];
    for (let i = 1; i <= ERRORS_KEPT; i++) {
      const e = this.errors[(this.nextError - i + ERRORS_KEPT) % ERRORS_KEPT];
      if (e) errors.push(e);
    }
    // Newest first by time: a group's primary receives its workers' exemplars slightly out of order.
    errors.sort((a, b) => b.at - a.at);
    const slowest = [...this.cur, ...this.prev]
      .filter((e) => e.at > now - MINUTE_MS)
      .sort((a, b) => b.ms - a.ms)
      .slice(0, SLOWEST_KEPT);
    return { arm, errors, slowest };
  }
}

/** What an exchange's tracker needs of its keeper. */
interface Keeper {
  slotsOf(route: string, arm: string): Slots | undefined;
  readonly emit: { fn?: (e: Exemplar) => void };
}

/** One exchange's exemplar tracker: one object with fields, not a closure and an object per request. */
class ExemplarTracker implements ExchangeTracker {
  readonly #keeper: Keeper;
  readonly #x: ExchangeInfo;
  readonly #arm: string;
  readonly #rules: OutcomeRules;

  constructor(keeper: Keeper, x: ExchangeInfo, arm: string, rules: OutcomeRules) {
    this.#keeper = keeper;
    this.#x = x;
    this.#arm = arm;
    this.#rules = rules;
  }

  end(o: ForwardOutcome, totalMs: number, traceId?: string): void {
    const c = classifyOutcome(this.#rules, o.status, totalMs);
    if (!c.counted) return;
    const x = this.#x;
    const route = x.route.name;
    const arm = this.#arm;
    const s = this.#keeper.slotsOf(route, arm);
    // The end time from the request's own readings: no clock call per request.
    const at = Math.round(x.startedAtEpoch + totalMs);
    // Cheap reject first: most requests are good and faster than this minute's kept five.
    if (!s?.wants(c.bad, totalMs, at)) return;
    // Without Fieldlab's tracing the client's traceparent goes upstream as is: its id is the trace.
    const tp = x.headers.traceparent;
    const id = traceId ?? (typeof tp === 'string' ? parseTraceparent(tp)?.traceId : undefined) ?? null;
    const e: Exemplar = {
      route,
      arm,
      at,
      status: o.status,
      code: o.code ?? null,
      ms: Math.round(totalMs * 10) / 10,
      method: x.method,
      path: x.route.matcher.path.pattern,
      traceId: id,
      bad: c.bad,
    };
    if (s.add(e)) this.#keeper.emit.fn?.(e);
  }
}

/**
 * Creates the keeper (`now`: the clock `read` judges "the last minute" by); register `observer` after tracing (the trace id comes from the exchange's combined tracker).
 * @example const exemplars = createExemplarKeeper(); observers.push(namedObserver('exemplars', exemplars.observer))
 */
export function createExemplarKeeper(opts: { now?: () => number } = {}): ExemplarKeeper {
  const now = opts.now ?? Date.now;
  const series = new Map<string, Map<string, Slots>>();
  const emit: { fn?: (e: Exemplar) => void } = {};
  let size = 0;
  let dropped = 0;

  const slotsOf = (route: string, arm: string): Slots | undefined => {
    let arms = series.get(route);
    let s = arms?.get(arm);
    if (s) return s;
    if (size >= MAX_EXEMPLAR_SERIES) {
      dropped++;
      return undefined;
    }
    if (!arms) series.set(route, (arms = new Map()));
    arms.set(arm, (s = new Slots()));
    size++;
    return s;
  };

  const offer = (e: Exemplar): void => {
    const s = slotsOf(e.route, e.arm);
    if (s?.wants(e.bad, e.ms, e.at) && s.add(e)) emit.fn?.(e);
  };
  const keeper: Keeper = { slotsOf, emit };

  return {
    observer: {
      begin(x) {
        const arm = x.excluded === undefined ? x.arm : `outside:${x.arm}`;
        return new ExemplarTracker(keeper, x, arm, outcomeRules(x.route.guardrails));
      },
    },
    offer,
    read(route, at = now()) {
      return [...(series.get(route) ?? new Map<string, Slots>())].map(([arm, s]) => s.read(arm, at));
    },
    exportTo(fn) {
      emit.fn = fn;
    },
    stats: () => ({ series: size, dropped }),
  };
}
