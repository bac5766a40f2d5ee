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
  /** Resolved exactly once with the captured response. */
  readonly done: Promise<CapturedResponse>;
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

/** The sink as one object with its methods on the prototype: a copy captures two responses, often. */
class Capture implements CaptureSink {
  readonly done: Promise<CapturedResponse>;
  #resolve!: (r: CapturedResponse) => void;
  #status = 0;
  #headers: Record<string, string | string[]> = {};
  readonly #chunks: Buffer[] = [];
  #kept = 0;
  #seen = 0;
  #settled = false;

  constructor(
    readonly cap: number,
    readonly startedAt: number,
  ) {
    this.done = new Promise<CapturedResponse>((r) => (this.#resolve = r));
  }

  start(s: number, h: Record<string, string | string[] | undefined>): void {
    this.#status = s;
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
    this.#resolve({
      status: error ? 0 : this.#status,
      ...(error ? { error } : {}),
      headers: this.#headers,
      // Most bodies arrive in one chunk (and a discarded copy keeps none): no concat, no copy.
      body: chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, this.#kept),
      truncated: this.#seen > this.#kept,
      bodyBytes: this.#seen,
      latencyMs: performance.now() - this.startedAt,
    });
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
