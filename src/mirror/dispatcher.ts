/**
 * Sends shadow requests on their own pools with a concurrency limit and a bounded queue per shadow.
 * When both are full the request is dropped and counted: a slow or dead shadow can never build up
 * memory or sockets, and the client's request never waits for any of this.
 *
 * A shadow's response is read only as far as it is compared: once one byte past the compare cap has
 * arrived the exchange is aborted (counted `truncated`; the capture is marked truncated, so JSON
 * bodies are reported `body-truncated`). A byte budget per shadow bounds the bytes it sends per
 * second — a declared Content-Length is charged in full at the headers, a chunked body as it is
 * read: while it is empty copies are not started and running downloads are cut (`bandwidth`). The
 * timeout runs from submission, and a copy whose turn comes with less than half of it left is
 * dropped (`queue_expired`) instead of starting late: once load stops, the queue drains within one
 * timeout.
 */
import type { Dispatcher } from 'undici';
import { FL_NO_ENDPOINT, FL_UPSTREAM_TIMEOUT } from '../errors.js';
import { classifyUpstreamError } from '../forward/classify.js';
import type { Upstream } from '../forward/upstream.js';
import { recordConnect } from '../forward/upstream.js';
import { createCapture, type CaptureSink } from './capture.js';
import { createByteBudget, type ByteBudget } from './byte-budget.js';
import type { CapturedResponse } from '../compare/types.js';

/**
 * The "error" of a copy whose pool a reload closed while it waited: not the shadow's fault, so the
 * pair is skipped (reason `reload`) rather than compared as a failure.
 */
export const SHADOW_POOL_CLOSED = 'pool_closed';
/** The "error" of a copy cut because its shadow's byte budget ran out: skipped (`bandwidth`). */
export const SHADOW_OVER_BUDGET = 'over_budget';
/** The "error" of a copy that outwaited its timeout in the queue: skipped (`queue_expired`). */
export const SHADOW_EXPIRED = 'expired';

const CLOSED_CODES = new Set(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);

/** One shadow request to send. */
export interface ShadowJob {
  /** Limits are tracked per key (route/shadow). */
  readonly key: string;
  /** The lane's metric labels (config names, so bounded): set on the lane's first job. */
  readonly route: string;
  readonly shadow: string;
  readonly kind: 'shadow' | 'noise';
  readonly upstream: Upstream;
  readonly method: string;
  readonly path: string;
  readonly headers: string[];
  readonly body: Buffer | null;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly queue: number;
  /** Body bytes captured for comparison; the exchange is aborted one byte past it. */
  readonly captureCap: number;
  /** The response won't be compared: read it as usual (cut at captureCap) but keep none of its body. */
  readonly discard?: boolean;
  /** Response bytes per second this shadow may read (its lane's budget; 0 = unlimited). */
  readonly bytesPerSecond: number;
  /** Called once with the shadow's response or failure. */
  readonly onDone: (res: CapturedResponse) => void;
}

/** Running totals, for the admin API and tests. */
export interface DispatcherStats {
  sent: number;
  completed: number;
  failed: number;
  dropped: number;
  /** Exchanges aborted at the compare cap (the rest of the body was never read). */
  truncated: number;
  /** Copies not started or cut because the shadow's byte budget was empty. */
  overBudget: number;
  /** Queued copies dropped because they had waited more than half their timeout. */
  expired: number;
  inFlight: number;
  queued: number;
}

/** One lane's (route, shadow and kind's) totals and current load, for labelled metrics. */
export interface LaneStats extends DispatcherStats {
  readonly route: string;
  readonly shadow: string;
  readonly kind: 'shadow' | 'noise';
}

/** The shadow dispatcher. */
export interface ShadowDispatcher {
  /** Starts or queues the job; returns why not (and counts it) when the shadow is saturated. */
  submit(job: ShadowJob): 'queue_full' | 'bandwidth' | undefined;
  /**
   * Why a job for `key` would be refused now, or undefined when it would be accepted; lets callers
   * skip building a copy that would be dropped.
   */
  refusal(key: string, concurrency: number, queue: number): 'queue_full' | 'bandwidth' | undefined;
  /** Totals over every lane. */
  stats(): DispatcherStats;
  /** Per lane (route/shadow/kind), in creation order. */
  lanes(): LaneStats[];
}

type Totals = Omit<DispatcherStats, 'inFlight' | 'queued'>;

interface Lane {
  readonly route: string;
  readonly shadow: string;
  readonly kind: 'shadow' | 'noise';
  running: number;
  waiting: { job: ShadowJob; deadline: number }[];
  budget: ByteBudget | undefined;
  /** Counted per lane so metrics can carry route and shadow; stats() sums them. */
  readonly totals: Totals;
}

const TOTAL_KEYS = ['sent', 'completed', 'failed', 'dropped', 'truncated', 'overBudget', 'expired'] as const;
const zero = (): Totals => ({ sent: 0, completed: 0, failed: 0, dropped: 0, truncated: 0, overBudget: 0, expired: 0 });

/**
 * Creates the dispatcher.
 * @example const d = createShadowDispatcher(); d.submit(job) || skips.count('queue_full')
 */
export function createShadowDispatcher(): ShadowDispatcher {
  const lanes = new Map<string, Lane>();

  const lane = (job: ShadowJob) => {
    let l = lanes.get(job.key);
    if (!l)
      lanes.set(
        job.key,
        (l = { route: job.route, shadow: job.shadow, kind: job.kind, running: 0, waiting: [], budget: undefined, totals: zero() }),
      );
    // Created on first use; a reload that changes the rate gets a fresh bucket.
    if (job.bytesPerSecond > 0 && l.budget?.perSecond !== job.bytesPerSecond)
      l.budget = createByteBudget(job.bytesPerSecond, performance.now());
    return l;
  };

  const next = (l: Lane) => {
    for (let w = l.waiting.shift(); w; w = l.waiting.shift()) {
      // A copy with less than half its time left would most likely be cut: not worth a connection.
      if (w.deadline - performance.now() >= w.job.timeoutMs / 2) return run(w.job, l, w.deadline);
      l.totals.expired++;
      w.job.onDone(expiredCapture());
    }
  };

  const run = (job: ShadowJob, l: Lane, deadline: number) => {
    l.running++;
    l.totals.sent++;
    send(job, deadline, l.budget, l.totals, (res) => {
      l.running--;
      if (res.error) l.totals.failed++;
      else l.totals.completed++;
      next(l);
      job.onDone(res);
    });
  };

  const refusal = (l: Lane | undefined, concurrency: number, queue: number) => {
    if (!l) return undefined;
    if (l.budget && !l.budget.available(performance.now())) {
      l.totals.overBudget++;
      return 'bandwidth' as const;
    }
    if (l.running < concurrency || l.waiting.length < queue) return undefined;
    l.totals.dropped++;
    return 'queue_full' as const;
  };

  return {
    submit(job) {
      const l = lane(job);
      const no = refusal(l, job.concurrency, job.queue);
      if (no) return no;
      const deadline = performance.now() + job.timeoutMs;
      if (l.running < job.concurrency) run(job, l, deadline);
      else l.waiting.push({ job, deadline });
      return undefined;
    },
    refusal: (key, concurrency, queue) => refusal(lanes.get(key), concurrency, queue),
    stats() {
      const sum: DispatcherStats = { ...zero(), inFlight: 0, queued: 0 };
      for (const l of lanes.values()) {
        for (const k of TOTAL_KEYS) sum[k] += l.totals[k];
        sum.inFlight += l.running;
        sum.queued += l.waiting.length;
      }
      return sum;
    },
    lanes: () =>
      [...lanes.values()].map((l) => ({
        route: l.route,
        shadow: l.shadow,
        kind: l.kind,
        ...l.totals,
        inFlight: l.running,
        queued: l.waiting.length,
      })),
  };
}

function expiredCapture(): CapturedResponse {
  return { status: 0, error: SHADOW_EXPIRED, headers: {}, body: Buffer.alloc(0), truncated: false, bodyBytes: 0, latencyMs: 0 };
}

/** Sends one shadow request, done by `deadline` (performance.now() ms); never throws. */
function send(
  job: ShadowJob,
  deadline: number,
  budget: ByteBudget | undefined,
  totals: Totals,
  done: (res: CapturedResponse) => void,
): void {
  const capture = createCapture(job.discard ? 0 : job.captureCap, performance.now());
  capture.onDone(done);
  const endpoint = job.upstream.pick(Date.now());
  if (!endpoint) return capture.fail(FL_NO_ENDPOINT.code);
  const exchange = new ShadowExchange(job, endpoint, budget, totals, capture, deadline);
  try {
    endpoint.pool.dispatch({ method: job.method as Dispatcher.HttpMethod, path: job.path, headers: job.headers, body: job.body }, exchange);
  } catch (err) {
    exchange.clear();
    capture.fail(CLOSED_CODES.has((err as { code?: string }).code ?? '') ? SHADOW_POOL_CLOSED : classifyUpstreamError(err).def.code);
  }
}

type Endpoint = NonNullable<ReturnType<Upstream['pick']>>;

const onTimeout = (x: ShadowExchange): void => x.timeout();

/**
 * One shadow exchange's handler: its state in fields and its callbacks on the prototype, so a copy
 * costs one object and a timer rather than a closure per callback.
 */
class ShadowExchange implements Dispatcher.DispatchHandler {
  #controller: Dispatcher.DispatchController | undefined;
  // Set once we ended the exchange ourselves (timeout, cap, budget): the abort error that follows is ours.
  #stopped = false;
  #seen = 0;
  #charged = false;
  readonly #timer: NodeJS.Timeout;

  constructor(
    readonly job: ShadowJob,
    readonly endpoint: Endpoint,
    readonly budget: ByteBudget | undefined,
    readonly totals: Totals,
    readonly capture: CaptureSink,
    deadline: number,
  ) {
    this.#timer = setTimeout(onTimeout, Math.max(0, deadline - performance.now()), this);
    this.#timer.unref();
  }

  clear(): void {
    clearTimeout(this.#timer);
  }

  timeout(): void {
    this.#stop('shadow timeout');
    this.capture.fail(FL_UPSTREAM_TIMEOUT.code);
  }

  #stop(why: string): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#controller?.abort(new Error(why));
  }

  #overBudget(): void {
    this.totals.overBudget++;
    this.#stop('shadow byte budget exhausted');
    this.capture.fail(SHADOW_OVER_BUDGET);
  }

  onRequestStart(c: Dispatcher.DispatchController): void {
    this.#controller = c;
    if (this.#stopped) c.abort(new Error('shadow stopped'));
  }

  onResponseStart(_c: Dispatcher.DispatchController, status: number, headers: Record<string, string | string[] | undefined>): void {
    if (status < 200) return;
    recordConnect(this.endpoint, true, Date.now());
    this.capture.start(status, headers);
    // A declared length is charged in full, however little of it is read: the shadow sends it
    // (the kernel buffers megabytes before our abort lands) and every cut costs a new connection.
    const declared = Number(headers['content-length']);
    if (this.budget && declared > 0) {
      this.#charged = true;
      if (!this.budget.take(declared, performance.now())) this.#overBudget();
    }
  }

  onResponseData(_c: Dispatcher.DispatchController, chunk: Buffer): void {
    if (this.#stopped) return;
    this.capture.data(chunk);
    this.#seen += chunk.length;
    const withinBudget = this.budget && !this.#charged ? this.budget.take(chunk.length, performance.now()) : true;
    if (this.#seen > this.job.captureCap) {
      // Everything compared is in; the rest would only cost the proxy's loop.
      this.totals.truncated++;
      this.#stop('compare cap reached');
      this.capture.end();
    } else if (!withinBudget) this.#overBudget();
  }

  onResponseEnd(): void {
    clearTimeout(this.#timer);
    this.capture.end();
  }

  onResponseError(_c: Dispatcher.DispatchController, err: Error): void {
    clearTimeout(this.#timer);
    if (this.#stopped) return;
    if (CLOSED_CODES.has((err as { code?: string }).code ?? '')) return this.capture.fail(SHADOW_POOL_CLOSED);
    const { def, connectFailure } = classifyUpstreamError(err);
    if (connectFailure) recordConnect(this.endpoint, false, Date.now());
    this.capture.fail(def.code);
  }
}
