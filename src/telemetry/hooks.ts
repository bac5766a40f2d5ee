/**
 * The observation points of the request path. Tracing, metrics and guardrails each implement
 * ExchangeObserver; the handler calls every observer once per routed request and each may return a
 * tracker for that exchange. An observer that is not configured is simply not in the list, so a
 * disabled feature costs nothing.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { CapturedResponse } from '../compare/types.js';
import type { CompiledRoute } from '../routing/route.js';
import type { ForwardOutcome } from '../forward/forwarder.js';

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
  /** The primary exchange ended (successfully or not); `totalMs` since arrival. */
  end(outcome: ForwardOutcome, totalMs: number): void;
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
  begin(x: ExchangeInfo): ExchangeTracker | undefined;
}

/**
 * Starts every observer for one exchange; returns undefined when none is interested.
 * @example const t = beginExchange(deps.observers, info); … t?.end(outcome, ms)
 */
export function beginExchange(observers: readonly ExchangeObserver[], x: ExchangeInfo): ExchangeTracker | undefined {
  if (observers.length === 0) return undefined;
  let trackers: ExchangeTracker[] | undefined;
  for (const o of observers) {
    const t = o.begin(x);
    if (t) (trackers ??= []).push(t);
  }
  if (!trackers) return undefined;
  if (trackers.length === 1) return trackers[0];
  const all = trackers;
  const traced = all.find((t) => t.traceparent !== undefined || t.traceId !== undefined);
  return {
    traceparent: traced?.traceparent,
    traceId: traced?.traceId,
    end(outcome, totalMs) {
      for (const t of all) t.end(outcome, totalMs);
    },
    shadow(name, kind) {
      const subs = all.map((t) => t.shadow?.(name, kind)).filter((s): s is ShadowTracker => s !== undefined);
      if (subs.length === 0) return undefined;
      return { traceparent: subs.find((s) => s.traceparent)?.traceparent, end: (res) => subs.forEach((s) => s.end(res)) };
    },
  };
}
