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
  let status = 0;
  let headers: Record<string, string | string[]> = {};
  const chunks: Buffer[] = [];
  let kept = 0;
  let seen = 0;
  let settled = false;
  let resolve!: (r: CapturedResponse) => void;
  const done = new Promise<CapturedResponse>((r) => (resolve = r));
  const settle = (error?: string) => {
    if (settled) return;
    settled = true;
    resolve({
      status: error ? 0 : status,
      ...(error ? { error } : {}),
      headers,
      // Most bodies arrive in one chunk (and a discarded copy keeps none): no concat, no copy.
      body: chunks.length === 1 ? chunks[0]! : chunks.length === 0 ? EMPTY : Buffer.concat(chunks, kept),
      truncated: seen > kept,
      bodyBytes: seen,
      latencyMs: performance.now() - startedAt,
    });
  };
  return {
    start(s, h) {
      status = s;
      const clean: Record<string, string | string[]> = {};
      for (const k in h) if (h[k] !== undefined) clean[k] = h[k]!;
      headers = clean;
    },
    data(chunk) {
      seen += chunk.length;
      if (kept >= cap) return;
      const take = Math.min(chunk.length, cap - kept);
      chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      kept += take;
    },
    end: () => settle(),
    fail: (code) => settle(code),
    done,
    wrap(inner) {
      return new CaptureHandler(this, inner);
    },
  };
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
