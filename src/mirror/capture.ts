/**
 * Captures one response (status, headers, the first `cap` body bytes, timing) as it streams past,
 * without holding it up: chunks are referenced, not copied, until the end, and bytes past the cap
 * are only counted.
 */
import type { CapturedResponse } from '../compare/types.js';

/** What a forwarder or shadow handler reports into. */
export interface CaptureSink {
  start(status: number, headers: Record<string, string | string[] | undefined>): void;
  data(chunk: Buffer): void;
  end(): void;
  /** The exchange failed; `code` is a registry code. */
  fail(code: string): void;
  /** Resolved exactly once with the captured response. */
  readonly done: Promise<CapturedResponse>;
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
      body: chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, kept),
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
  };
}
