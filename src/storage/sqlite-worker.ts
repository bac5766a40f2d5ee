/**
 * The SQLite store's thread. better-sqlite3 is synchronous, so the proxy never calls it: this
 * worker owns the database and answers requests by message (`{ id, repo, method, args }` →
 * `{ id, ok, value | error, ms }`), one at a time in arrival order. A batch write or a report over
 * a large store takes as long as it takes here, while the proxy's event loop keeps serving.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openSqliteRepos, type SqliteRepos } from './sqlite.js';
import type { DiffStoreLimits } from './types.js';

/** What the client passes as `workerData`. */
export interface SqliteWorkerData {
  readonly file: string;
  readonly limits: DiffStoreLimits;
}

/** One request from the client. */
export interface SqliteRequest {
  readonly id: number;
  readonly repo: 'diffs' | 'guardrails' | 'experiments' | 'records';
  readonly method: string;
  readonly args: readonly unknown[];
}

/** One reply; `ms` is the time the request took in this thread. */
export type SqliteReply =
  | { readonly id: number; readonly ok: true; readonly value: unknown; readonly ms: number }
  | { readonly id: number; readonly ok: false; readonly error: { name: string; message: string }; readonly ms: number };

/** First message: opened (or why not). */
export type SqliteReady =
  | { readonly ready: true; readonly methods: Readonly<Record<SqliteRequest['repo'], readonly string[]>> }
  | { readonly ready: false; readonly error: { name: string; message: string } };

const port = parentPort;
if (!port) throw new Error('sqlite-worker.ts runs as a worker thread (see sqlite-client.ts)');
const data = workerData as SqliteWorkerData;
const describe = (err: unknown) => ({
  name: err instanceof Error ? err.name : 'Error',
  message: err instanceof Error ? err.message : String(err),
});

let repos: SqliteRepos | undefined;
try {
  repos = openSqliteRepos(data.file, data.limits);
  // The client builds its proxies from these names: a method added to a repository is served as is.
  const methods = (repo: object) => Object.keys(repo).filter((k) => k !== 'close');
  port.postMessage({
    ready: true,
    methods: {
      diffs: methods(repos.diffs),
      guardrails: methods(repos.guardrails),
      experiments: methods(repos.experiments),
      records: methods(repos.records),
    },
  } satisfies SqliteReady);
} catch (err) {
  port.postMessage({ ready: false, error: describe(err) } satisfies SqliteReady);
}

port.on('message', (req: SqliteRequest | 'close') => {
  if (req === 'close') {
    repos?.close();
    port.close();
    return;
  }
  const started = performance.now();
  try {
    const repo = repos![req.repo] as unknown as Record<string, (...a: unknown[]) => unknown>;
    const fn = repo[req.method];
    if (typeof fn !== 'function') throw new Error(`no store method ${req.repo}.${req.method}`);
    const value = fn(...req.args);
    port.postMessage({ id: req.id, ok: true, value, ms: performance.now() - started } satisfies SqliteReply);
  } catch (err) {
    port.postMessage({ id: req.id, ok: false, error: describe(err), ms: performance.now() - started } satisfies SqliteReply);
  }
});
