/**
 * The proxy's side of the SQLite store: the same async DiffStore and GuardrailStore, each call a
 * message to the store's worker thread (sqlite-worker.ts), so no SQLite work — batch writes,
 * report queries, pruning — ever runs on the proxy's event loop. Requests wait in a bounded queue:
 * when `queue` are outstanding, the next is refused at once with FL_STORE_BUSY and counted (the
 * batcher counts its batch as dropped; an admin request answers 503). A worker that dies fails its
 * outstanding requests with FL_STORE_UNAVAILABLE and is started again on the next request.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { FL_STORE_BUSY, FL_STORE_UNAVAILABLE } from '../errors.js';
import type { ExperimentStore } from './experiment-types.js';
import type { GuardrailStore } from './guardrail-types.js';
import type { RecordStore } from './record-types.js';
import { storeError } from './store-error.js';
import type { SqliteReady, SqliteReply, SqliteRequest, SqliteWorkerData } from './sqlite-worker.js';
import type { DiffStore, DiffStoreLimits, Stores } from './types.js';

/** Counters of the store worker (on `/mirror` under `storage.store`). */
export interface StoreWorkerStats {
  /** Requests answered by the worker. */
  readonly requests: number;
  /** Requests refused because `queue` were outstanding. */
  readonly dropped: number;
  /** Requests that failed (in SQLite, or because the worker died). */
  readonly failed: number;
  /** Requests sent and not yet answered. */
  readonly pending: number;
  /** Time spent inside the worker thread, ms, in total and for the slowest request. */
  readonly workerMs: number;
  readonly maxMs: number;
  /** Times the worker thread was (re)started. */
  readonly starts: number;
}

/** Stores that also report their worker's counters. */
export interface WorkerStores extends Stores {
  stats(): StoreWorkerStats & Readonly<Record<string, number>>;
}

/**
 * The worker's script: next to this module when running compiled (dist/, the Docker image); when
 * running from TypeScript sources (vitest) the compiled copy from `npm run build`, since a worker
 * thread gets no TypeScript loader.
 */
function workerUrl(): URL {
  const here = new URL('./sqlite-worker.js', import.meta.url);
  if (existsSync(fileURLToPath(here))) return here;
  return new URL('../../dist/src/storage/sqlite-worker.js', import.meta.url);
}

interface Waiting {
  resolve(value: unknown): void;
  reject(err: Error): void;
}

/**
 * Starts the store worker on `file` and resolves once the database is open and migrated (rejects
 * with the worker's error otherwise, e.g. StorageSchemaError for a newer file).
 * @example const { diffs, guardrails, close } = await openSqliteWorkerStores('/var/lib/fieldlab/fieldlab.db', { queue: 1024 })
 */
export async function openSqliteWorkerStores(file: string, opts: DiffStoreLimits & { queue?: number } = {}): Promise<WorkerStores> {
  const queue = opts.queue ?? 1024;
  const limits: DiffStoreLimits = {
    ...(opts.maxExamples !== undefined ? { maxExamples: opts.maxExamples } : {}),
    ...(opts.maxExamplesPerSignature !== undefined ? { maxExamplesPerSignature: opts.maxExamplesPerSignature } : {}),
  };
  const waiting = new Map<number, Waiting>();
  let nextId = 1;
  let worker: Worker | undefined;
  let methods: Readonly<Record<SqliteRequest['repo'], readonly string[]>> = {
    diffs: [],
    guardrails: [],
    experiments: [],
    records: [],
  };
  let starting: Promise<Worker> | undefined;
  let closed = false;
  const counts = { requests: 0, dropped: 0, failed: 0, workerMs: 0, maxMs: 0, starts: 0 };

  const failAll = (why: string) => {
    for (const w of waiting.values()) w.reject(storeError(FL_STORE_UNAVAILABLE, why));
    counts.failed += waiting.size;
    waiting.clear();
  };

  function start(): Promise<Worker> {
    counts.starts++;
    const w = new Worker(workerUrl(), { workerData: { file, limits } satisfies SqliteWorkerData });
    return new Promise<Worker>((resolve, reject) => {
      w.once('message', (m: SqliteReady) => {
        if (!m.ready) {
          void w.terminate();
          return reject(Object.assign(new Error(m.error.message), { name: m.error.name }));
        }
        methods = m.methods;
        w.on('message', (r: SqliteReply) => {
          const wait = waiting.get(r.id);
          if (!wait) return;
          waiting.delete(r.id);
          if (waiting.size === 0) w.unref();
          counts.workerMs += r.ms;
          counts.maxMs = Math.max(counts.maxMs, r.ms);
          if (r.ok) {
            counts.requests++;
            wait.resolve(r.value);
          } else {
            counts.failed++;
            wait.reject(Object.assign(new Error(r.error.message), { name: r.error.name }));
          }
        });
        // An idle worker never keeps the process alive; one with requests outstanding does (below).
        if (waiting.size === 0) w.unref();
        resolve(w);
      });
      w.once('error', (err) => {
        reject(err);
        failAll(`store worker failed: ${err.message}`);
      });
      w.once('exit', (code) => {
        if (worker === w) worker = undefined;
        starting = undefined;
        failAll(`store worker exited (code ${code})`);
      });
    });
  }

  const ready = (): Promise<Worker> => {
    if (worker) return Promise.resolve(worker);
    starting ??= start().then((w) => (worker = w));
    return starting;
  };

  function call(repo: SqliteRequest['repo'], method: string, args: unknown[]): Promise<unknown> {
    if (closed) return Promise.reject(storeError(FL_STORE_UNAVAILABLE, 'the store is closed'));
    // Counted against the bound before anything is queued: a slow worker never grows memory.
    if (waiting.size >= queue) {
      counts.dropped++;
      return Promise.reject(storeError(FL_STORE_BUSY, `store queue full (${queue} requests waiting)`));
    }
    const id = nextId++;
    return new Promise((resolve, reject) => {
      waiting.set(id, { resolve, reject });
      ready().then(
        (w) => {
          w.ref();
          w.postMessage({ id, repo, method, args } satisfies SqliteRequest);
        },
        (err: unknown) => {
          waiting.delete(id);
          counts.failed++;
          reject(storeError(FL_STORE_UNAVAILABLE, `store worker did not start: ${err instanceof Error ? err.message : String(err)}`));
        },
      );
    });
  }

  const proxyOf = <T>(repo: SqliteRequest['repo'], methods: readonly string[]): T =>
    Object.fromEntries(methods.map((m) => [m, (...args: unknown[]) => call(repo, m, args)])) as T;

  async function close(): Promise<void> {
    if (closed) return;
    // Requests already sent are answered first (e.g. the batcher's last flush), then the file closes.
    while (waiting.size > 0) await new Promise((r) => setTimeout(r, 5));
    closed = true;
    const w = worker;
    if (!w) return;
    await new Promise<void>((resolve) => {
      w.once('exit', () => resolve());
      w.ref();
      w.postMessage('close');
    });
  }

  await ready();
  const diffs = { ...proxyOf<DiffStore>('diffs', methods.diffs), close };
  return {
    diffs,
    guardrails: proxyOf<GuardrailStore>('guardrails', methods.guardrails),
    experiments: proxyOf<ExperimentStore>('experiments', methods.experiments),
    records: proxyOf<RecordStore>('records', methods.records),
    close,
    stats: () => ({ ...counts, pending: waiting.size }),
  };
}
