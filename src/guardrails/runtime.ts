/**
 * Guardrails in the running proxy: one decision engine per route that has `guardrails:` or
 * `rollout:`. Every routed request is recorded with its arm's share at that instant; once a second
 * the engines decide, and each decision moves the route's live weights at once, is logged with its
 * numbers, stored, and sent to the route's webhook. Engine state is saved so a rolled-back variant
 * stays rolled back and a rollout resumes at its step, with its evidence, after a restart.
 */
import type { CompiledRoute } from '../routing/route.js';
import type { Snapshot } from '../config/compile.js';
import { Guardrails as GuardrailsSchema } from '../config/schema-guardrails.js';
import type { RawGuardrails } from '../config/schema.js';
import type { GuardrailStore } from '../storage/guardrail-types.js';
import type { ExchangeObserver } from '../telemetry/hooks.js';
import type { Logger } from '../telemetry/logger.js';
import { createEngine, type Engine } from './engine.js';
import type { WebhookNotifier } from './notify-webhook.js';
import { classifyOutcome, outcomeRules } from './outcome.js';
import type { Decision, Evidence, ManualAction, RouteState } from './types.js';

/** One route's guardrails as shown by `fieldlab status` and `GET /status`. */
export interface RouteStatus {
  readonly route: string;
  readonly variants: readonly {
    arm: string;
    percent: number;
    phase: string;
    stepIndex: number;
    steps: readonly number[] | null;
    stepStartedAt: string | null;
    breach: string | null;
    evidence: Evidence | undefined;
  }[];
}

/** Why a manual action could not be applied. */
export type ManualError = 'unknown-route' | 'no-guardrails' | 'unknown-arm';

/** The runtime. */
export interface GuardrailsRuntime {
  readonly observer: ExchangeObserver;
  /** Creates, keeps or rebuilds engines for `snap` and applies their weights to its routes. */
  attach(snap: Snapshot): void;
  /** Runs one evaluation now (the timer calls this every second). */
  tick(now?: number): Decision[];
  manual(
    route: string,
    action: ManualAction,
    opts?: { arm?: string; actor?: string },
  ): { ok: true; decisions: Decision[] } | { ok: false; error: ManualError };
  status(route?: string): RouteStatus[];
  /** Saves every engine's state now. */
  save(): void;
  /** Fleet seam (fleet/seam.ts): the route's engine, to feed it fleet-wide evidence and let it decide. */
  engine(route: string): Engine | undefined;
  /** Fleet seam: applies decisions `engine(route)` made here (weights, log, store, webhook). */
  apply(route: string, decisions: readonly Decision[]): void;
  /** Fleet seam: resumes the route's engine from `state` (the fleet's decision) and applies its weights. */
  adopt(route: string, state: RouteState): void;
  stop(): void;
}

interface Slot {
  engine: Engine;
  route: CompiledRoute;
  /** Identity of the config the engine was built from; a change rebuilds it (keeping state). */
  fingerprint: string;
}

const DEFAULT_GUARDRAILS: RawGuardrails = GuardrailsSchema.parse({});
const SAVE_EVERY_MS = 10_000;

/**
 * Creates the runtime; call `attach` with the first snapshot before serving.
 * @example const g = createGuardrailsRuntime({ store, states: await store.loadStates(), notifier, log }); g.attach(config.current())
 */
export function createGuardrailsRuntime(deps: {
  store: GuardrailStore;
  /** Saved engine states by route, loaded before serving (`await store.loadStates()`): the store is async. */
  states?: ReadonlyMap<string, unknown>;
  notifier: WebhookNotifier;
  log: Logger;
  now?: () => number;
  /** 0: no timer (fleet mode: the fleet decides when, and on what evidence). */
  evaluateEveryMs?: number;
}): GuardrailsRuntime {
  const now = deps.now ?? Date.now;
  const slots = new Map<string, Slot>();
  const saved = deps.states ?? new Map<string, unknown>();
  let lastSave = now();
  let attached: Snapshot | undefined;

  const applyWeights = (slot: Slot) => {
    const variants = slot.route.arms.slice(1).map((a) => a.name);
    slot.route.weights.set(
      variants.map((v) => slot.engine.percent(v)),
      'runtime',
    );
  };

  const record = (slot: Slot, d: Decision) => {
    applyWeights(slot);
    deps.log[d.severity === 'error' ? 'error' : d.severity === 'warn' ? 'warn' : 'info'](
      { type: 'decision', route: d.route, arm: d.arm, action: d.action, from: d.fromPercent, to: d.toPercent, rule: d.rule },
      d.reason,
    );
    persist(() => deps.store.appendDecision({ ...d }), deps.log, 'decision not stored');
    const hook = slot.route.guardrails?.webhook;
    if (hook) deps.notifier.notify(hook, { type: 'fieldlab.decision', ...d, at: new Date(d.at).toISOString() });
  };

  const saveAll = () => {
    for (const [route, slot] of slots)
      persist(() => deps.store.saveState(route, slot.engine.state(), now()), deps.log, 'guardrail state not saved');
    lastSave = now();
  };

  const every = deps.evaluateEveryMs ?? 1000;
  const timer = every > 0 ? setInterval(() => runtime.tick(), every) : undefined;
  timer?.unref();

  const runtime: GuardrailsRuntime = {
    observer: {
      begin(x) {
        const slot = slots.get(x.route.name);
        // Forced (QA) requests are not the split's users; they would bias the comparison.
        if (!slot || slot.route !== x.route || x.forced) return undefined;
        const rules = outcomeRules(x.route.guardrails);
        return {
          end(outcome, totalMs) {
            const c = classifyOutcome(rules, outcome.status, totalMs);
            if (c.counted)
              slot.engine.record({ at: now(), arm: x.arm, bad: c.bad, slow: c.slow, key: x.key, share: x.share, latencyMs: totalMs });
          },
        };
      },
    },
    attach(snap) {
      attached = snap;
      const live = new Set<string>();
      for (const route of snap.routes) {
        if (!route.guardrails && !route.rollout) continue;
        const variants = route.arms.slice(1).map((a) => a.name);
        if (variants.length === 0) continue;
        live.add(route.name);
        const fingerprint = JSON.stringify([variants, route.guardrails, route.rollout, route.arms.map((a) => a.percent)]);
        const prev = slots.get(route.name);
        let state: RouteState | undefined = prev ? prev.engine.state() : (saved.get(route.name) as RouteState | undefined);
        // A different set of variants is a new experiment: its old evidence doesn't apply.
        if (state && JSON.stringify(state.variants.map((v) => v.arm)) !== JSON.stringify(variants)) state = undefined;
        const engine = prev && prev.fingerprint === fingerprint ? prev.engine : engineFor(route, state);
        const slot = { engine, route, fingerprint };
        slots.set(route.name, slot);
        applyWeights(slot);
      }
      for (const name of [...slots.keys()]) if (!live.has(name)) slots.delete(name);
    },
    tick(at = now()) {
      const all: Decision[] = [];
      for (const slot of slots.values()) {
        const decisions = safe(() => slot.engine.evaluate(at), [], deps.log, 'guardrail evaluation failed');
        for (const d of decisions) record(slot, d);
        all.push(...decisions);
      }
      if (all.length > 0 || at - lastSave >= SAVE_EVERY_MS) saveAll();
      return all;
    },
    manual(route, action, opts = {}) {
      const slot = slots.get(route);
      if (!slot) return { ok: false, error: attached?.routes.some((r) => r.name === route) ? 'no-guardrails' : 'unknown-route' };
      if (opts.arm !== undefined && !slot.route.armIndex.has(opts.arm)) return { ok: false, error: 'unknown-arm' };
      const decisions = slot.engine.manual(action, now(), { ...(opts.arm ? { arm: opts.arm } : {}), actor: opts.actor ?? 'admin-api' });
      for (const d of decisions) record(slot, d);
      saveAll();
      return { ok: true, decisions };
    },
    status(route) {
      const at = now();
      return [...slots.values()]
        .filter((s) => route === undefined || s.route.name === route)
        .map((s) => ({
          route: s.route.name,
          variants: s.engine.state().variants.map((v) => ({
            arm: v.arm,
            percent: v.percent,
            phase: v.phase,
            stepIndex: v.stepIndex,
            steps: s.route.rollout?.steps ?? null,
            stepStartedAt: v.stepStartedAt === null ? null : new Date(v.stepStartedAt).toISOString(),
            breach: v.breach,
            evidence: s.engine.inspect(v.arm, at),
          })),
        }));
    },
    save: saveAll,
    engine: (route) => slots.get(route)?.engine,
    apply(route, decisions) {
      const slot = slots.get(route);
      if (slot) for (const d of decisions) record(slot, d);
    },
    adopt(route, state) {
      const slot = slots.get(route);
      if (!slot || JSON.stringify(state.variants.map((v) => v.arm)) !== JSON.stringify(slot.engine.state().variants.map((v) => v.arm)))
        return;
      slot.engine = engineFor(slot.route, state);
      applyWeights(slot);
    },
    stop() {
      clearInterval(timer);
      saveAll();
    },
  };
  return runtime;
}

/** Store writes are fire-and-forget from the timer: a failure is logged, never thrown into the loop. */
function persist(write: () => Promise<void>, log: Logger, msg: string): void {
  new Promise<void>((resolve) => resolve(write())).catch((err: unknown) => log.error({ err }, msg));
}

function engineFor(route: CompiledRoute, state: RouteState | undefined): Engine {
  const variants = route.arms.slice(1);
  return createEngine(
    route.name,
    {
      guardrails: route.guardrails ?? DEFAULT_GUARDRAILS,
      rollout: route.rollout,
      variants: variants.map((a) => a.name),
      splitPercent: Object.fromEntries(variants.map((a) => [a.name, a.percent])),
    },
    state,
  );
}

function safe<T>(fn: () => T, fallback: T, log: Logger, msg: string): T {
  try {
    return fn();
  } catch (err) {
    log.error({ err }, msg);
    return fallback;
  }
}
