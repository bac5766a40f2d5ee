/**
 * The observation points of the request path. Tracing, metrics and guardrails each implement
 * ExchangeObserver; the handler calls every observer once per routed request and each may return a
 * tracker for that exchange. An observer that is not configured is simply not in the list, so a
 * disabled feature costs nothing.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CapturedResponse } from '../compare/types.js';
import type { Exclusion } from '../routing/audience.js';
import type { CompiledRoute } from '../routing/route.js';
import type { ForwardOutcome } from '../forward/forwarder.js';
import type { FaultKind } from '../faults/decide.js';

/** What observers see of one routed request. */
export interface ExchangeInfo {
  readonly route: CompiledRoute;
  readonly armIndex: number;
  readonly arm: string;
  /** Upstream name of the arm, and the endpoint origin picked (undefined when none was). */
  readonly upstream: string;
  readonly endpoint: string | undefined;
  readonly requestId: string;
  /** The sticky key the request was assigned by (guardrails cap each key's weight). */
  readonly key: string;
  /** True when QA forced the arm: such requests say nothing about the split's users. */
  readonly forced: boolean;
  /** Set when the request is outside the split (experiment targeting or layer slice): control, no exposure. */
  readonly excluded?: Exclusion | undefined;
  /** Set when fault injection faulted this request: guardrails keep it out of the arm's evidence. */
  readonly fault?: FaultKind | undefined;
  /** The arm's routing share (0..1) at assignment: guardrails weigh evidence by it. */
  readonly share: number;
  readonly method: string;
  /** Request target as received (path and query). */
  readonly target: string;
  /** Client request headers (tracing reads traceparent/tracestate). */
  readonly headers: IncomingHttpHeaders;
  readonly clientIp: string;
  /** performance.now() and Date.now() when the request arrived. */
  readonly startedAt: number;
  readonly startedAtEpoch: number;
}

/** Per-exchange callbacks an observer returns from `begin`. */
export interface ExchangeTracker {
  /** traceparent to send upstream instead of the client's (the client span's context). */
  readonly traceparent?: string | undefined;
  /** Trace id of this exchange, linked from shadow-diff examples. */
  readonly traceId?: string | undefined;
  /**
   * The primary exchange ended (successfully or not); `totalMs` since arrival. `traceId` is the
   * exchange's (from whichever tracker set one, i.e. tracing), for observers that keep exemplars.
   */
  end(outcome: ForwardOutcome, totalMs: number, traceId?: string): void;
  /** A shadow copy is about to be sent: its traceparent and a completion callback. */
  shadow?(name: string, kind: 'shadow' | 'noise'): ShadowTracker | undefined;
}

/** Callbacks for one shadow copy. */
export interface ShadowTracker {
  readonly traceparent?: string | undefined;
  end(res: CapturedResponse): void;
}

/** A telemetry or guardrails component on the request path. */
export interface ExchangeObserver {
  /** Named in the log line and the failure count when it throws (default: its position). */
  readonly name?: string;
  begin(x: ExchangeInfo): ExchangeTracker | undefined;
}

/**
 * Where observer failures go. An observer is optional work: when one throws, the exchange goes on
 * without it, the first failure of each observer is logged and every one is counted.
 */
export interface ObserverGuard {
  failed(observer: string, err: unknown): void;
  /** Failures so far, per observer name (for metrics and /status). */
  stats(): Readonly<Record<string, number>>;
}

/**
 * Creates a guard that logs the first failure of each observer through `log` and counts them all.
 * @example const guard = createObserverGuard((name, err) => log.error({ err, observer: name }, 'observer failed'))
 */
export function createObserverGuard(logFirst: (observer: string, err: unknown) => void): ObserverGuard {
  const counts: Record<string, number> = {};
  return {
    failed(observer, err) {
      const n = (counts[observer] ?? 0) + 1;
      counts[observer] = n;
      if (n === 1) logFirst(observer, err);
    },
    stats: () => ({ ...counts }),
  };
}

/**
 * Gives an observer a name for failure reports (built once at startup, not per request).
 * @example observers.push(namedObserver('metrics', metrics.observer))
 */
export function namedObserver(name: string, o: ExchangeObserver): ExchangeObserver {
  return { name, begin: (x) => o.begin(x) };
}

/**
 * Starts every observer for one exchange; returns undefined when none is interested. Every call into
 * an observer is guarded: these run inside undici callbacks and the client's response must not see
 * an observer's bug.
 * @example const t = beginExchange(deps.observers, info, guard); … t?.end(outcome, ms)
 */
export function beginExchange(observers: readonly ExchangeObserver[], x: ExchangeInfo, guard: ObserverGuard): ExchangeTracker | undefined {
  if (observers.length === 0) return undefined;
  // One array per exchange, aligned with `observers` (names are read from there only on a failure).
  let trackers: (ExchangeTracker | undefined)[] | undefined;
  for (let i = 0; i < observers.length; i++) {
    const o = observers[i]!;
    let t: ExchangeTracker | undefined;
    try {
      t = o.begin(x);
    } catch (err) {
      guard.failed(nameOf(observers, i), err);
      continue;
    }
    if (!t) continue;
    (trackers ??= new Array<ExchangeTracker | undefined>(observers.length))[i] = t;
  }
  return trackers ? new GuardedTrackers(trackers, observers, guard) : undefined;
}

function nameOf(observers: readonly ExchangeObserver[], i: number): string {
  return observers[i]!.name ?? `observer-${i}`;
}

/** The trackers of one exchange behind one guarded facade. */
class GuardedTrackers implements ExchangeTracker {
  readonly traceparent: string | undefined;
  readonly traceId: string | undefined;
  /** Sparse: index i is observer i's tracker, or a hole when it returned none. */
  readonly #all: readonly (ExchangeTracker | undefined)[];
  readonly #observers: readonly ExchangeObserver[];
  readonly #guard: ObserverGuard;

  constructor(all: readonly (ExchangeTracker | undefined)[], observers: readonly ExchangeObserver[], guard: ObserverGuard) {
    this.#all = all;
    this.#observers = observers;
    this.#guard = guard;
    let traced: ExchangeTracker | undefined;
    for (const t of all) if (t && (t.traceparent !== undefined || t.traceId !== undefined)) traced ??= t;
    this.traceparent = traced?.traceparent;
    this.traceId = traced?.traceId;
  }

  end(outcome: ForwardOutcome, totalMs: number): void {
    for (let i = 0; i < this.#all.length; i++) {
      const t = this.#all[i];
      if (!t) continue;
      try {
        t.end(outcome, totalMs, this.traceId);
      } catch (err) {
        this.#guard.failed(nameOf(this.#observers, i), err);
      }
    }
  }

  shadow(name: string, kind: 'shadow' | 'noise'): ShadowTracker | undefined {
    let subs: ShadowTracker[] | undefined;
    let names: string[] | undefined;
    for (let i = 0; i < this.#all.length; i++) {
      try {
        const s = this.#all[i]?.shadow?.(name, kind);
        if (s) {
          (subs ??= []).push(s);
          (names ??= []).push(nameOf(this.#observers, i));
        }
      } catch (err) {
        this.#guard.failed(nameOf(this.#observers, i), err);
      }
    }
    return subs ? new GuardedShadow(subs, names!, this.#guard) : undefined;
  }
}

/** One shadow copy's trackers behind one guarded facade (one object per copy, its `end` on the prototype). */
class GuardedShadow implements ShadowTracker {
  readonly traceparent: string | undefined;
  readonly #all: readonly ShadowTracker[];
  readonly #names: readonly string[];
  readonly #guard: ObserverGuard;

  constructor(all: readonly ShadowTracker[], names: readonly string[], guard: ObserverGuard) {
    this.#all = all;
    this.#names = names;
    this.#guard = guard;
    let tp: string | undefined;
    for (const s of all) if (!tp && s.traceparent) tp = s.traceparent;
    this.traceparent = tp;
  }

  end(res: CapturedResponse): void {
    for (let i = 0; i < this.#all.length; i++) {
      try {
        this.#all[i]!.end(res);
      } catch (err) {
        this.#guard.failed(this.#names[i]!, err);
      }
    }
  }
}
