/**
 * Guardrail persistence that is never silent: state and decision writes go through a small queue
 * that retries with backoff (state: only the latest per route is kept; decisions: bounded, oldest
 * dropped and counted when full), works with a synchronous or an asynchronous store, and counts
 * every failure for `/status`, the metrics and readiness ("degraded" while anything is unwritten).
 */
import type { DecisionRecord, GuardrailStore } from '../storage/guardrail-types.js';
import type { Logger } from '../telemetry/logger.js';

/** Decisions waiting for a write beyond this are dropped (and counted). */
const MAX_PENDING_DECISIONS = 1_000;
const BACKOFF_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

/** What persistence has done, for `/status` and the metrics. */
export interface PersistenceHealth {
  /** True while any write is waiting for a retry. */
  degraded: boolean;
  stateFailures: number;
  decisionFailures: number;
  /** Decisions dropped because the retry queue was full. */
  decisionsDropped: number;
  pendingStates: number;
  pendingDecisions: number;
  lastError: string | null;
  /** Epoch ms of the last failure, or null. */
  lastFailureAt: number | null;
}

/** The queue. */
export interface Persistence {
  saveState(route: string, state: unknown): void;
  appendDecision(d: DecisionRecord): void;
  /** Retries what is due; call once a second. */
  retry(now: number): void;
  /** Resolves when nothing is in flight (tests, shutdown). */
  idle(): Promise<void>;
  health(): PersistenceHealth;
}

/**
 * Creates the queue over `store`.
 * @example const p = createPersistence(store, log); p.saveState('checkout', engine.state())
 */
export function createPersistence(store: Pick<GuardrailStore, 'saveState' | 'appendDecision'>, log: Logger, now = Date.now): Persistence {
  const states = new Map<string, unknown>();
  const decisions: DecisionRecord[] = [];
  const h: PersistenceHealth = {
    degraded: false,
    stateFailures: 0,
    decisionFailures: 0,
    decisionsDropped: 0,
    pendingStates: 0,
    pendingDecisions: 0,
    lastError: null,
    lastFailureAt: null,
  };
  let attempt = 0;
  let nextAt = 0;
  let inFlight: Promise<void> = Promise.resolve();
  let running = false;

  const fail = (what: 'state' | 'decision', err: unknown) => {
    if (what === 'state') h.stateFailures++;
    else h.decisionFailures++;
    h.lastError = err instanceof Error ? err.message : String(err);
    h.lastFailureAt = now();
    log.error({ err, type: 'persistence' }, `guardrail ${what} not stored; will retry`);
  };

  /** Runs `fn` (sync or async) and settles to whether it succeeded. */
  const attemptWrite = async (fn: () => unknown, what: 'state' | 'decision'): Promise<boolean> => {
    try {
      await fn();
      return true;
    } catch (err) {
      fail(what, err);
      return false;
    }
  };

  const flush = async () => {
    let ok = true;
    while (decisions.length > 0) {
      const d = decisions[0]!;
      if (!(await attemptWrite(() => store.appendDecision(d), 'decision'))) {
        ok = false;
        break;
      }
      decisions.shift();
    }
    for (const [route, state] of [...states]) {
      if (states.get(route) !== state) continue;
      if (await attemptWrite(() => store.saveState(route, state, now()), 'state')) {
        if (states.get(route) === state) states.delete(route);
      } else {
        ok = false;
        break;
      }
    }
    attempt = ok ? 0 : attempt + 1;
    nextAt = ok ? 0 : now() + BACKOFF_MS[Math.min(attempt - 1, BACKOFF_MS.length - 1)]!;
    update();
  };

  const update = () => {
    h.pendingStates = states.size;
    h.pendingDecisions = decisions.length;
    h.degraded = states.size > 0 || decisions.length > 0;
  };

  const kick = () => {
    if (running) return;
    running = true;
    inFlight = flush().finally(() => {
      running = false;
      // A write queued while this flush was past it is written now, not at the next retry tick.
      if (attempt === 0 && (states.size > 0 || decisions.length > 0)) kick();
    });
  };

  return {
    saveState(route, state) {
      states.set(route, state);
      update();
      if (attempt === 0) kick();
    },
    appendDecision(d) {
      if (decisions.length >= MAX_PENDING_DECISIONS) {
        decisions.shift();
        h.decisionsDropped++;
      }
      decisions.push(d);
      update();
      if (attempt === 0) kick();
    },
    retry(at) {
      if ((states.size > 0 || decisions.length > 0) && at >= nextAt) kick();
    },
    idle: async () => {
      while (running) await inFlight;
    },
    health: () => ({ ...h }),
  };
}
