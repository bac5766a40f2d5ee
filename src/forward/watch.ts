/**
 * One shared sweep for the slow-client checks (minimum upload rate, response write stall) instead of
 * a timer per request: exchanges that need watching join a set, an unref'd interval visits the set
 * while it is non-empty, and an exchange that needs nothing watched costs nothing.
 */

/** Something the sweep visits. */
export interface Watched {
  check(now: number): void;
}

/** The sweep. */
export interface Watch {
  add(w: Watched): void;
  delete(w: Watched): void;
  readonly size: number;
}

/**
 * Creates a sweep visiting its members every `intervalMs` (performance.now() clock).
 * @example const watch = createWatch(500); watch.add(exchange); … watch.delete(exchange)
 */
export function createWatch(intervalMs: number): Watch {
  const members = new Set<Watched>();
  let timer: NodeJS.Timeout | undefined;
  const sweep = () => {
    const now = performance.now();
    for (const w of members) w.check(now);
    if (members.size === 0 && timer) {
      clearInterval(timer);
      timer = undefined;
    }
  };
  return {
    add(w) {
      members.add(w);
      if (!timer) {
        timer = setInterval(sweep, intervalMs);
        timer.unref();
      }
    },
    delete(w) {
      members.delete(w);
    },
    get size() {
      return members.size;
    },
  };
}
