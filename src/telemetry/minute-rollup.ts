/**
 * Per-minute rollups of every arm (and shadow) of every route: requests, bad and slow events and a
 * latency histogram, aggregated in memory and written to storage once a minute is complete — the
 * time series that survives restarts and can be queried later (`GET /rollups.json`).
 */
import { LATENCY_BOUNDS, emptyHistogram, observe } from '../stats/histogram.js';
import type { GuardrailStore, MinuteRow } from '../storage/guardrail-types.js';
import type { ForwardOutcome } from '../forward/forwarder.js';
import type { ExchangeInfo, ExchangeObserver, ExchangeTracker, ShadowTracker } from './hooks.js';
import { classifyOutcome, outcomeRules, type OutcomeRules } from '../guardrails/outcome.js';

/** A MinuteRow being filled in; `flushed` once written (then a new cell takes its place). */
type Cell = { -readonly [K in keyof MinuteRow]: MinuteRow[K] } & { latency: number[]; flushed?: boolean };

/** The rollup observer and its flush. */
export interface MinuteRollup {
  readonly observer: ExchangeObserver;
  /** Writes every minute older than the current one (or all, with `all`); resolves once stored or dropped. */
  flush(all?: boolean): Promise<void>;
  stop(): Promise<void>;
}

const MAX_CELLS = 10_000;

type Add = (owner: object, route: string, arm: string, at: number, status: number, latencyMs: number, rules: OutcomeRules) => void;

/** One exchange's rollup tracker: one object with fields, not a closure and an object per request. */
class RollupTracker implements ExchangeTracker {
  readonly #add: Add;
  readonly #x: ExchangeInfo;
  readonly #rules: OutcomeRules;

  constructor(add: Add, x: ExchangeInfo, rules: OutcomeRules) {
    this.#add = add;
    this.#x = x;
    this.#rules = rules;
  }

  end(o: ForwardOutcome, totalMs: number): void {
    const x = this.#x;
    this.#add(x.route, x.route.name, x.arm, x.startedAtEpoch, o.status, totalMs, this.#rules);
  }

  shadow(name: string, kind: 'shadow' | 'noise'): ShadowTracker | undefined {
    if (kind !== 'shadow') return undefined;
    const { route, startedAtEpoch } = this.#x;
    const add = this.#add;
    const rules = this.#rules;
    return { end: (res) => add(route, route.name, `shadow:${name}`, startedAtEpoch, res.status, res.latencyMs, rules) };
  }
}

/**
 * Creates the rollup; flushes complete minutes every `flushMs` (default 10 s).
 * @example const rollup = createMinuteRollup(guardrailStore); observers.push(rollup.observer)
 */
export function createMinuteRollup(
  store: Pick<GuardrailStore, 'writeMinutes'>,
  opts: { now?: () => number; flushMs?: number; onError?: (err: unknown) => void } = {},
): MinuteRollup {
  const now = opts.now ?? Date.now;
  const cells = new Map<string, Cell>();
  const rulesByRoute = new WeakMap<object, OutcomeRules>();
  // Hot path: the current cell of each arm, found without building a key string per request.
  const current = new WeakMap<object, Map<string, Cell>>();
  let dropped = 0;

  const add: Add = (owner, route, arm, at, status, latencyMs, rules) => {
    const c = classifyOutcome(rules, status, latencyMs);
    if (!c.counted) return;
    const minute = at - (at % 60_000);
    let arms = current.get(owner);
    if (!arms) current.set(owner, (arms = new Map()));
    let cell = arms.get(arm);
    if (!cell || cell.minute !== minute || cell.flushed) {
      const key = `${minute}\u0000${route}\u0000${arm}`;
      cell = cells.get(key);
      if (!cell) {
        if (cells.size >= MAX_CELLS) {
          dropped++;
          return;
        }
        cell = { minute, route, arm, requests: 0, bad: 0, slow: 0, latency: emptyHistogram(LATENCY_BOUNDS) };
        cells.set(key, cell);
      }
      arms.set(arm, cell);
    }
    cell.requests++;
    if (c.bad) cell.bad++;
    if (c.slow) cell.slow++;
    observe(cell.latency, LATENCY_BOUNDS, latencyMs);
  };

  const flush = (all = false) => {
    const currentMinute = now() - (now() % 60_000);
    const done: Cell[] = [];
    for (const [key, cell] of cells) {
      if (!all && cell.minute >= currentMinute) continue;
      cell.flushed = true;
      done.push(cell);
      cells.delete(key);
    }
    if (done.length === 0) return Promise.resolve();
    // Fire and forget from the timer; the promise is for shutdown and tests, and never rejects.
    return new Promise<void>((resolve) => resolve(store.writeMinutes(done.map(({ flushed: _, ...row }) => row)))).catch((err: unknown) => {
      dropped += done.length;
      opts.onError?.(err);
    });
  };
  const timer = setInterval(() => void flush(), opts.flushMs ?? 10_000);
  timer.unref();

  return {
    observer: {
      begin(x) {
        let rules = rulesByRoute.get(x.route);
        if (!rules) rulesByRoute.set(x.route, (rules = outcomeRules(x.route.guardrails)));
        return new RollupTracker(add, x, rules);
      },
    },
    flush,
    async stop() {
      clearInterval(timer);
      await flush(true);
      if (dropped > 0) opts.onError?.(new Error(`${dropped} minute rollup cells dropped`));
    },
  };
}
