/**
 * Captures one response (status, headers, the first `cap` body bytes, timing) as it streams past,
 * without holding it up: chunks are referenced, not copied, until the end, and bytes past the cap
 * are only counted. For the primary it is an undici-style decorating handler (`sink.wrap(inner)`),
 * so the forwarder streams to the client without knowing a copy is being kept.
 */
import type { Dispatcher } from 'undici';
import type { CapturedResponse } from '../compare/types.js';
import { isRegisteredCode } from '../errors.js';
import { bodilessLengthMismatch, classifyUpstreamError } from '../forward/classify.js';
import { type Controller, PassThroughHandler, type ResponseHeaders } from '../forward/decorator.js';

const EMPTY = Buffer.alloc(0);

/** What a forwarder or shadow handler reports into. */
export interface CaptureSink {
  start(status: number, headers: Record<string, string | string[] | undefined>): void;
  data(chunk: Buffer): void;
  end(): void;
  /** The exchange failed; `code` is a registry code. */
  fail(code: string): void;
  /**
   * Calls `fn` once with the captured response, from a promise job after the capture settles
   * (never inside the handler callback that settled it); any number of callers may wait.
   */
  onDone(fn: (r: CapturedResponse) => void): void;
  /** Decorates a dispatch handler so the response it sees is captured on the way (capture first, then `inner`). */
  wrap(inner: Dispatcher.DispatchHandler): Dispatcher.DispatchHandler;
}

/**
 * Creates a sink that keeps at most `cap` body bytes. `startedAt` is `performance.now()` at dispatch.
 * @example const c = createCapture(256 * 1024, performance.now()); forward(..., { capture: c })
 */
export function createCapture(cap: number, startedAt: number): CaptureSink {
  return new Capture(cap, startedAt);
}

type Waiter = (r: CapturedResponse) => void;

/**
 * The sink as one object with its methods on the prototype: a copy captures two responses, often.
 * Waiters are called from a promise job, as before, but the promise is made only at the end, already
 * resolved: no executor and resolver closures per capture (there is one per shadow copy). Measured
 * against queueMicrotask (an async resource each) and process.nextTick (a tick object each): cheapest.
 */
class Capture implements CaptureSink {
  /** Set when the capture settles, already resolved: every waiter gets its own job on it. */
  #done: Promise<CapturedResponse> | undefined;
  #waiting: Waiter | Waiter[] | undefined;
  #status = 0;
  #headers: Record<string, string | string[]> = {};
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #seen = 0;
  #settled = false;

  constructor(
    readonly cap: number,
    readonly startedAt: number,
  ) {}

  onDone(fn: Waiter): void {
    if (this.#done) void this.#done.then(fn);
    else if (this.#waiting === undefined) this.#waiting = fn;
    else if (Array.isArray(this.#waiting)) this.#waiting.push(fn);
    else this.#waiting = [this.#waiting, fn];
  }

  start(s: number, h: Record<string, string | string[] | undefined>): void {
    this.#status = s;
    // A capture that keeps no body (cap 0: a shadow copy not compared, or compare.maxBody 0) is
    // counted and timed, not compared: undici's own header object is kept as it is, not copied.
    // Others may hold it too (the experiments response tap), but nothing writes to it.
    if (this.cap === 0) {
      this.#headers = h as Record<string, string | string[]>;
      return;
    }
    const clean: Record<string, string | string[]> = {};
    for (const k in h) if (h[k] !== undefined) clean[k] = h[k]!;
    this.#headers = clean;
  }

  data(chunk: Buffer): void {
    this.#seen += chunk.length;
    if (this.#kept >= this.cap) return;
    const take = Math.min(chunk.length, this.cap - this.#kept);
    this.#chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
    this.#kept += take;
  }

  end(): void {
    this.#settle();
  }

  fail(code: string): void {
    this.#settle(code);
  }

  wrap(inner: Dispatcher.DispatchHandler): Dispatcher.DispatchHandler {
    return new CaptureHandler(this, inner);
  }

  #settle(error?: string): void {
    if (this.#settled) return;
    this.#settled = true;
    const chunks = this.#chunks;
    const r: CapturedResponse = {
      status: error ? 0 : this.#status,
      ...(error ? { error } : {}),
      headers: this.#headers,
      // Most bodies arrive in one chunk (and a discarded copy keeps none): no concat, no copy.
      body: chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, this.#kept),
      truncated: this.#seen > this.#kept,
      bodyBytes: this.#seen,
      latencyMs: performance.now() - this.startedAt,
    };
    const done = Promise.resolve(r);
    this.#done = done;
    const w = this.#waiting;
    this.#waiting = undefined;
    if (w === undefined) return;
    // One job per waiter, as with one promise's then()s: a waiter that throws (an embedder's pair tap)
    // rejects only its own job, and the shadows waiting after it on the same primary still pair.
    if (Array.isArray(w)) for (const fn of w) void done.then(fn);
    else void done.then(w);
  }
}

/**
 * Sees every callback before `inner` does (DecoratorHandler style). Failures are recorded by registry
 * code: the forwarder aborts with an FL_ code of its own (client gone, stall), anything else is an
 * upstream error classified like the forwarder classifies it.
 */
class CaptureHandler extends PassThroughHandler {
  readonly #sink: CaptureSink;
  #status = 0;

  constructor(sink: CaptureSink, inner: Dispatcher.DispatchHandler) {
    super(inner);
    this.#sink = sink;
  }

  override onResponseStart(controller: Controller, status: number, headers: ResponseHeaders, statusMessage?: string): void {
    if (status >= 200) {
      this.#status = status;
      this.#sink.start(status, headers);
    }
    super.onResponseStart(controller, status, headers, statusMessage);
  }

  override onResponseData(controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.#sink.data(chunk);
    super.onResponseData(controller, chunk);
  }

  override onResponseEnd(controller: Dispatcher.DispatchController, trailers: Record<string, string | string[] | undefined>): void {
    this.#sink.end();
    super.onResponseEnd(controller, trailers);
  }

  override onResponseError(controller: Dispatcher.DispatchController, err: Error): void {
    const own = (err as { code?: unknown }).code;
    if (bodilessLengthMismatch(err, this.#status)) this.#sink.end();
    else this.#sink.fail(isRegisteredCode(own) ? own : classifyUpstreamError(err).def.code);
    super.onResponseError(controller, err);
  }
}
