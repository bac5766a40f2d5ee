/**
 * The synchronous shape of an async repository, for backends whose driver is synchronous
 * (better-sqlite3): the worker thread runs the sync methods, and `asyncRepo` wraps them for use in
 * the same thread (the CLI, tests) behind the same Promise-based interface.
 */

/** `T` with every Promise-returning method made synchronous. */
export type Sync<T> = {
  [K in keyof T]: NonNullable<T[K]> extends (...args: infer A) => Promise<infer R> ? (...args: A) => R : never;
};

/**
 * Wraps a synchronous repository as the async interface: results become resolved promises and a
 * throw becomes a rejection, so callers see one failure mode whichever backend they run on.
 * @example const store: DiffStore = asyncRepo(createSqliteDiffs(db, limits))
 */
export function asyncRepo<T extends object>(sync: Sync<T>): T {
  const out: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(sync) as [string, (...a: unknown[]) => unknown][]) {
    out[name] = (...args: unknown[]) => {
      try {
        return Promise.resolve(fn(...args));
      } catch (err) {
        return Promise.reject(err);
      }
    };
  }
  return out as T;
}
