/**
 * One exchange lifecycle for plain HTTP and protocol upgrades: begin (observers, traceparent),
 * end (observers told once, guarded), log (one access line when `log.access` is on, with the same
 * fields either way). Requests the proxy answers itself go through the same end and log.
 */
import type { IncomingMessage } from 'node:http';
import type { ForwardListener, ForwardOutcome } from '../forward/forwarder.js';
import { setHeader } from '../forward/headers.js';
import { beginExchange, type ExchangeObserver, type ExchangeTracker, type ObserverGuard } from '../telemetry/hooks.js';
import { accessFields, type AccessFields } from '../telemetry/access-line.js';
import { type Logger, lineWriter } from '../telemetry/logger.js';
import { exchangeInfo, rejectedInfo } from './exchange-info.js';
import type { Prepared, Rejected } from './prepare.js';

/** What the lifecycle needs from the composition root. */
export interface LifecycleDeps {
  readonly log: Logger;
  /** Tracing, metrics and guardrails; empty when none is configured. */
  observers(): readonly ExchangeObserver[];
  /** Contains and counts observer failures. */
  readonly observerGuard: ObserverGuard;
}

/** One exchange from arrival to its access-log line. */
export class Exchange implements ForwardListener {
  readonly tracker: ExchangeTracker | undefined;
  readonly #deps: LifecycleDeps;
  readonly #req: IncomingMessage;
  readonly #started: number;
  readonly #access: boolean;
  readonly #rid: string;
  readonly #route: string | undefined;
  readonly #arm: string | undefined;
  readonly #upstream: string | undefined;
  readonly #endpoint: string | undefined;
  /** The QA override's outcome when the request named an arm: followed, or why it was refused. */
  readonly #force: string | undefined;
  /** Why the request was outside its route's experiment (targeting, layer), if it was. */
  readonly #excluded: string | undefined;
  /** The injected fault's kind (abort, reset, delay), if fault injection faulted the request. */
  readonly #fault: string | undefined;
  #ended = false;

  constructor(
    deps: LifecycleDeps,
    req: IncomingMessage,
    started: number,
    access: boolean,
    p: Prepared | Rejected,
    tracker: ExchangeTracker | undefined,
  ) {
    this.#deps = deps;
    this.#req = req;
    this.#started = started;
    this.#access = access;
    this.#rid = p.requestId;
    this.#route = p.route?.name;
    this.#arm = p.arm;
    const armIndex = p.route && p.arm !== undefined ? p.route.armIndex.get(p.arm) : undefined;
    this.#upstream = armIndex === undefined ? undefined : p.route?.arms[armIndex]?.upstream.name;
    this.#endpoint = p.ok ? p.endpoint.origin : undefined;
    this.#force = p.ok ? (p.assignment.forced ? 'followed' : p.assignment.forceRefused) : undefined;
    this.#excluded = p.ok ? p.assignment.excluded : undefined;
    this.#fault = p.ok ? p.fault?.kind : undefined;
    this.tracker = tracker;
  }

  /** The exchange ended: observers, then the access log. Only the first call counts. */
  forwarded(o: ForwardOutcome): void {
    if (this.#ended) return;
    this.#ended = true;
    const totalMs = performance.now() - this.#started;
    this.tracker?.end(o, totalMs);
    if (!this.#access) return;
    const req = this.#req;
    const fields: AccessFields = {
      rid: this.#rid,
      method: req.method,
      path: req.url,
      route: this.#route,
      arm: this.#arm,
      // The upstream's name, as metrics label it; the endpoint URL that served it separately.
      upstream: this.#upstream,
      endpoint: this.#endpoint,
      force: this.#force,
      excluded: this.#excluded,
      fault: this.#fault,
      status: o.status,
      code: o.code,
      ms: round(totalMs),
      upstreamMs: o.upstreamMs === undefined ? undefined : round(o.upstreamMs),
      bytes: o.bytes,
      upgrade: req.headers.upgrade,
    };
    // One line per request: built directly into the log's batch (same line as pino's, a fraction of
    // its cost); a logger that isn't ours (tests) gets it through pino.
    const writer = lineWriter(this.#deps.log);
    if (!writer) this.#deps.log.info({ type: 'access', ...fields }, 'access');
    else if (writer.infoEnabled()) writer.batchedInfo(accessFields(fields), 'access');
  }
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}

/**
 * Begins a prepared exchange: observers start and the upstream headers get the trace context.
 * @example const x = beginPrepared(deps, req, p, started, true); forward(req, res, p, x)
 */
export function beginPrepared(deps: LifecycleDeps, req: IncomingMessage, p: Prepared, started: number, access: boolean): Exchange {
  const tracker = beginExchange(deps.observers(), exchangeInfo(req, p, started), deps.observerGuard);
  if (tracker?.traceparent) setHeader(p.headers, 'traceparent', tracker.traceparent);
  return new Exchange(deps, req, started, access, p, tracker);
}

/**
 * Ends a request the proxy answered itself. A route's arm that can't be served (no endpoint) still
 * counts against that arm with the observers.
 * @example endRejected(deps, req, p, started, true)
 */
export function endRejected(deps: LifecycleDeps, req: IncomingMessage, p: Rejected, started: number, access: boolean): void {
  const tracker =
    p.route && p.arm
      ? beginExchange(deps.observers(), rejectedInfo(req, p.route, p.arm, p.requestId, started), deps.observerGuard)
      : undefined;
  new Exchange(deps, req, started, access, p, tracker).forwarded({
    status: p.error.status,
    code: p.error.code,
    bytes: 0,
    upstreamMs: undefined,
  });
}
