/**
 * The pass-through: every batch the receiver accepts is sent on, byte for byte with its
 * Content-Type and Content-Encoding, to the team's own collector, so putting Fieldlab in the span
 * pipeline changes nothing downstream. Bounded: a few requests in flight and a short queue; beyond
 * it, or when the collector fails, the batch is dropped and counted (the services already got their
 * 200 — exporters would retry a 5xx and double-send what was kept).
 */
import { Agent, request } from 'undici';

/** Delivery counters. */
export interface PassThroughStats {
  readonly forwarded: number;
  readonly failed: number;
  readonly dropped: number;
  readonly queued: number;
}

/** The pass-through. */
export interface PassThrough {
  /** Queues one batch; false (and a drop counted) when the queue is full. */
  send(body: Buffer, contentType: string, contentEncoding: string | undefined): boolean;
  stats(): PassThroughStats;
  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void>;
  close(): Promise<void>;
}

/** Settings. */
export interface PassThroughOptions {
  readonly url: string;
  readonly concurrency?: number;
  readonly queue?: number;
  readonly timeoutMs?: number;
  readonly onError?: (err: unknown) => void;
}

interface Batch {
  readonly body: Buffer;
  readonly headers: Record<string, string>;
}

/**
 * Creates the pass-through to `url`.
 * @example const pt = createPassThrough({ url: 'http://collector:4318/v1/traces' }); pt.send(body, 'application/x-protobuf', undefined)
 */
export function createPassThrough(opts: PassThroughOptions): PassThrough {
  const concurrency = opts.concurrency ?? 4;
  const max = opts.queue ?? 64;
  const timeout = opts.timeoutMs ?? 10_000;
  const agent = new Agent({ connections: concurrency, headersTimeout: timeout, bodyTimeout: timeout });
  const queue: Batch[] = [];
  let inFlight = 0;
  let idleWaiters: (() => void)[] = [];
  const totals = { forwarded: 0, failed: 0, dropped: 0 };

  const pump = () => {
    while (inFlight < concurrency && queue.length > 0) {
      const b = queue.shift()!;
      inFlight++;
      void deliver(b).finally(() => {
        inFlight--;
        pump();
      });
    }
    if (inFlight === 0 && queue.length === 0) {
      const w = idleWaiters;
      idleWaiters = [];
      w.forEach((f) => f());
    }
  };

  const deliver = async (b: Batch) => {
    try {
      const res = await request(opts.url, { method: 'POST', body: b.body, headers: b.headers, dispatcher: agent });
      await res.body.dump();
      if (res.statusCode >= 200 && res.statusCode < 300) totals.forwarded++;
      else {
        totals.failed++;
        opts.onError?.(new Error(`collector answered ${res.statusCode}`));
      }
    } catch (err) {
      totals.failed++;
      opts.onError?.(err);
    }
  };

  return {
    send(body, contentType, contentEncoding) {
      if (queue.length >= max) {
        totals.dropped++;
        return false;
      }
      const headers: Record<string, string> = { 'content-type': contentType };
      if (contentEncoding) headers['content-encoding'] = contentEncoding;
      queue.push({ body, headers });
      pump();
      return true;
    },
    stats: () => ({ ...totals, queued: queue.length + inFlight }),
    idle: () => (inFlight === 0 && queue.length === 0 ? Promise.resolve() : new Promise((r) => idleWaiters.push(r))),
    close: () => agent.close(),
  };
}
