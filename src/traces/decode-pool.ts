/**
 * The receiver's handle on the decoding thread (decode-worker.ts): at most `maxQueued` batches in
 * flight, so a flood of spans waits in a bounded line and is then refused (503, retryable for OTLP
 * exporters) instead of growing memory. A thread that dies is replaced on the next batch; the
 * batches it held fail with a reason.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { DecodeReply, DecodeRequest } from './decode-worker.js';
import type { DecodeResult } from './otlp-decode.js';

/** The pool. */
export interface DecodePool {
  /** Decodes `body`, or resolves undefined at once when `maxQueued` batches are in flight. */
  decode(encoding: 'protobuf' | 'json', body: Buffer): Promise<DecodeResult | undefined>;
  readonly inFlight: number;
  close(): Promise<void>;
}

/**
 * The thread's script: beside this module when compiled; from dist/ when running TypeScript
 * sources (vitest), since a worker thread gets no TypeScript loader (as storage/sqlite-client.ts).
 */
function workerUrl(): URL {
  const here = new URL('./decode-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/src/traces/decode-worker.js', import.meta.url);
}

/**
 * Creates the pool (the thread starts with the first batch).
 * @example const pool = createDecodePool(); const r = await pool.decode('protobuf', body)
 */
export function createDecodePool(opts: { maxQueued?: number } = {}): DecodePool {
  const maxQueued = opts.maxQueued ?? 16;
  let worker: Worker | undefined;
  let next = 0;
  const waiting = new Map<number, (r: DecodeResult) => void>();
  const failAll = (reason: string) => {
    for (const done of waiting.values()) done({ ok: false, reason });
    waiting.clear();
  };
  const start = (): Worker => {
    const w = new Worker(workerUrl());
    w.unref();
    w.on('message', (m: DecodeReply) => {
      const done = waiting.get(m.id);
      waiting.delete(m.id);
      done?.(m.result);
    });
    w.on('error', (err) => failAll(`decoder failed: ${err.message}`));
    w.on('exit', () => {
      if (worker === w) worker = undefined;
      failAll('decoder exited');
    });
    return w;
  };
  return {
    decode(encoding, body) {
      if (waiting.size >= maxQueued) return Promise.resolve(undefined);
      worker ??= start();
      const id = next++;
      return new Promise((resolve) => {
        waiting.set(id, resolve);
        worker!.postMessage({ id, encoding, body } satisfies DecodeRequest);
      });
    },
    get inFlight() {
      return waiting.size;
    },
    async close() {
      const w = worker;
      worker = undefined;
      if (w) await w.terminate();
      failAll('decoder closed');
    },
  };
}
