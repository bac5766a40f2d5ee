/**
 * Sends shadow requests on their own pools with a concurrency limit and a bounded queue per shadow.
 * When both are full the request is dropped and counted: a slow or dead shadow can never build up
 * memory or sockets, and the client's request never waits for any of this.
 */
import type { Dispatcher } from 'undici';
import { FL_UPSTREAM_TIMEOUT } from '../errors.js';
import { classifyUpstreamError } from '../forward/classify.js';
import type { Upstream } from '../forward/upstream.js';
import { recordConnect } from '../forward/upstream.js';
import { createCapture } from './capture.js';
import type { CapturedResponse } from '../compare/types.js';

/**
 * The "error" of a copy whose pool a reload closed while it waited: not the shadow's fault, so the
 * pair is skipped (reason `reload`) rather than compared as a failure.
 */
export const SHADOW_POOL_CLOSED = 'pool_closed';

const CLOSED_CODES = new Set(['UND_ERR_CLOSED', 'UND_ERR_DESTROYED']);

/** One shadow request to send. */
export interface ShadowJob {
  /** Limits are tracked per key (route/shadow). */
  readonly key: string;
  readonly upstream: Upstream;
  readonly method: string;
  readonly path: string;
  readonly headers: string[];
  readonly body: Buffer | null;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly queue: number;
  /** Body bytes captured for comparison. */
  readonly captureCap: number;
  /** Called once with the shadow's response or failure. */
  readonly onDone: (res: CapturedResponse) => void;
}

/** Running totals, for the admin API and tests. */
export interface DispatcherStats {
  sent: number;
  completed: number;
  failed: number;
  dropped: number;
  inFlight: number;
  queued: number;
}

/** The shadow dispatcher. */
export interface ShadowDispatcher {
  /** Starts or queues the job; returns false (and counts a drop) when the shadow is saturated. */
  submit(job: ShadowJob): boolean;
  /** True when a job for `key` would be accepted now; lets callers skip building a copy that would be dropped. */
  hasRoom(key: string, concurrency: number, queue: number): boolean;
  stats(): DispatcherStats;
}

interface Lane {
  running: number;
  waiting: ShadowJob[];
}

/**
 * Creates the dispatcher.
 * @example const d = createShadowDispatcher(); d.submit(job) || skips.count('queue_full')
 */
export function createShadowDispatcher(): ShadowDispatcher {
  const lanes = new Map<string, Lane>();
  const totals = { sent: 0, completed: 0, failed: 0, dropped: 0 };

  const lane = (key: string) => {
    let l = lanes.get(key);
    if (!l) lanes.set(key, (l = { running: 0, waiting: [] }));
    return l;
  };

  const run = (job: ShadowJob, l: Lane) => {
    l.running++;
    totals.sent++;
    send(job, (res) => {
      l.running--;
      if (res.error) totals.failed++;
      else totals.completed++;
      const next = l.waiting.shift();
      if (next) run(next, l);
      job.onDone(res);
    });
  };

  return {
    submit(job) {
      const l = lane(job.key);
      if (l.running < job.concurrency) run(job, l);
      else if (l.waiting.length < job.queue) l.waiting.push(job);
      else {
        totals.dropped++;
        return false;
      }
      return true;
    },
    hasRoom(key, concurrency, queue) {
      const l = lanes.get(key);
      if (!l || l.running < concurrency || l.waiting.length < queue) return true;
      totals.dropped++;
      return false;
    },
    stats() {
      let inFlight = 0;
      let queued = 0;
      for (const l of lanes.values()) {
        inFlight += l.running;
        queued += l.waiting.length;
      }
      return { ...totals, inFlight, queued };
    },
  };
}

/** Sends one shadow request with a whole-exchange timeout; never throws. */
function send(job: ShadowJob, done: (res: CapturedResponse) => void): void {
  const capture = createCapture(job.captureCap, performance.now());
  void capture.done.then(done);
  const endpoint = job.upstream.pick(Date.now());
  if (!endpoint) return capture.fail('FL_NO_ENDPOINT');
  let controller: Dispatcher.DispatchController | undefined;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller?.abort(new Error('shadow timeout'));
    capture.fail(FL_UPSTREAM_TIMEOUT.code);
  }, job.timeoutMs);
  timer.unref();
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      if (timedOut) c.abort(new Error('shadow timeout'));
    },
    onResponseStart(_c, status, headers) {
      if (status < 200) return;
      recordConnect(endpoint, true, Date.now());
      capture.start(status, headers as Record<string, string | string[] | undefined>);
    },
    onResponseData(_c, chunk) {
      capture.data(chunk);
    },
    onResponseEnd() {
      clearTimeout(timer);
      capture.end();
    },
    onResponseError(_c, err) {
      clearTimeout(timer);
      if (timedOut) return;
      if (CLOSED_CODES.has((err as { code?: string }).code ?? '')) return capture.fail(SHADOW_POOL_CLOSED);
      const { def, connectFailure } = classifyUpstreamError(err);
      if (connectFailure) recordConnect(endpoint, false, Date.now());
      capture.fail(def.code);
    },
  };
  try {
    endpoint.pool.dispatch({ method: job.method as Dispatcher.HttpMethod, path: job.path, headers: job.headers, body: job.body }, handler);
  } catch (err) {
    clearTimeout(timer);
    capture.fail(CLOSED_CODES.has((err as { code?: string }).code ?? '') ? SHADOW_POOL_CLOSED : classifyUpstreamError(err).def.code);
  }
}
