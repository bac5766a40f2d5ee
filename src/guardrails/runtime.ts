/**
 * Guardrails in the running proxy: one decision engine per route that has `guardrails:` or
 * `rollout:`. Every routed request is recorded (arm, sticky key, client address, bad/slow by its
 * upstream time); once a second the engines decide, and each decision moves the route's live weights
 * at once, is logged with its numbers, stored, and sent to the route's webhook. Engine state is saved
 * (with retries; failures are counted and shown) so a rolled-back variant stays rolled back — across
 * restarts and across a reload that removes its route and adds it back.
 */
import type { Snapshot } from '../config/compile.js';
import { Guardrails as GuardrailsSchema } from '../config/schema-guardrails.js';
import type { RawGuardrails, RawRollout } from '../config/schema.js';
import type { CompiledRoute } from '../routing/route.js';
import { toJsonSafe } from '../net/json-safe.js';
import type { GuardrailStore } from '../storage/guardrail-types.js';
import type { ForwardOutcome } from '../forward/forwarder.js';
import type { ExchangeInfo, ExchangeObserver, ExchangeTracker } from '../telemetry/hooks.js';
import type { Logger } from '../telemetry/logger.js';
import { createEngine, type Engine } from './engine.js';
import type { Refusal } from './manual.js';
import type { DecisionCounts } from './metrics.js';
import type { WebhookNotifier } from './notify-webhook.js';
import { classifyOutcome, outcomeRules, type OutcomeRules } from './outcome.js';
import { createPersistence, type PersistenceHealth } from './persist.js';
import type { Decision, Evidence, ManualAction, ManualOptions, RouteState } from './types.js';

/** One variant's guardrails as shown by `fieldlab status` and `GET /status`. */
export interface VariantStatus {
  arm: string;
  percent: number;
  phase: string;
  stepIndex: number;
  steps: readonly number[] | null;
  stepStartedAt: number | null;
  breach: string | null;
  /** rollout.holdback: its share, when it ends and whether it was released; null without one. */
  holdback: HoldbackStatus | null;
  evidence: Evidence | undefined;
}

/** A variant's holdback as /status shows it. */
export interface HoldbackStatus {
  percent: number;
  forMs: number | null;
  /** Units are held back now (promoted, not yet released). */
  active: boolean;
  promotedAt: number | null;
  /** When it is due to be released (null: not promoted yet, or held until an operator promotes again). */
  endsAt: number | null;
  releasedAt: number | null;
  /** What keeps a due release from happening: the breach, or the phase (paused, holding); null when nothing. */
  blockedBy: string | null;
}

/** One route's guardrails. */
export interface RouteStatus {
  readonly route: string;
  readonly variants: readonly VariantStatus[];
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
    opts?: ManualOptions,
  ): { ok: true; decisions: Decision[]; refused: Refusal[] } | { ok: false; error: ManualError };
  status(route?: string): RouteStatus[];
  /** Names of routes in the running config, and of those with guardrails. */
  routeNames(): { all: string[]; guarded: string[] };
  /** Persistence failures and what is waiting for a retry. */
  health(): PersistenceHealth;
  /** Saves every engine's state now. */
  save(): void;
  /** Fleet seam (fleet/seam.ts): the route's engine, to feed it fleet-wide evidence and let it decide. */
  engine(route: string): Engine | undefined;
  /** Fleet seam: applies decisions `engine(route)` made here (weights, log, store, webhook). */
  apply(route: string, decisions: readonly Decision[]): void;
  /** Fleet seam: resumes the route's engine from `state` (the fleet's decision) and applies its weights. */
  adopt(route: string, state: RouteState): void;
  /** The bandit set `route`'s variant percents: its engine adopts them (engine.follow); no decision, no write. */
  follow(route: string, percents: Readonly<Record<string, number>>): void;
  /** Resolves when no write is in flight. */
  idle(): Promise<void>;
  /** Decisions since start by route, arm, action and rule (for the metrics). */
  readonly decisionCounts: DecisionCounts;
  stop(): void;
}

interface Slot {
  engine: Engine;
  route: CompiledRoute;
  /** Identity of the config the engine was built from; a change rebuilds it (keeping state). */
  fingerprint: string;
}

/** One exchange's evidence for its route's engine: one object with fields, not a closure and an object per request. */
class EvidenceTracker implements ExchangeTracker {
  readonly #slot: Slot;
  readonly #x: ExchangeInfo;
  readonly #rules: OutcomeRules;
  readonly #now: () => number;

  constructor(slot: Slot, x: ExchangeInfo, rules: OutcomeRules, now: () => number) {
    this.#slot = slot;
    this.#x = x;
    this.#rules = rules;
    this.#now = now;
  }

  end(outcome: ForwardOutcome, totalMs: number): void {
    // The upstream's time (request sent → response headers), never the client's upload.
    const upstreamMs = outcome.upstreamMs ?? totalMs;
    const c = classifyOutcome(this.#rules, outcome.status, upstreamMs);
    if (!c.counted) return;
    const x = this.#x;
    // slot.engine is read at the end, as before: an engine adopted mid-exchange gets the evidence.
    this.#slot.engine.record({ arm: x.arm, key: x.key, client: x.clientIp, bad: c.bad, slow: c.slow, upstreamMs, at: this.#now() });
  }
}

const DEFAULT_GUARDRAILS: RawGuardrails = GuardrailsSchema.parse({});
const SAVE_EVERY_MS = 10_000;

/**
 * Creates the runtime; call `attach` with the first snapshot before serving.
 * @example const g = createGuardrailsRuntime({ store, notifier, log }); g.attach(config.current()); observers.push(g.observer)
 */
export function createGuardrailsRuntime(deps: {
  store: GuardrailStore;
  notifier: WebhookNotifier;
  log: Logger;
  /** Saved engine states by route, loaded before serving (`await store.loadStates()`); else loaded here. */
  states?: ReadonlyMap<string, unknown>;
  now?: () => number;
  /** 0: no timer (fleet mode: the fleet decides when, and on what evidence). */
  evaluateEveryMs?: number;
}): GuardrailsRuntime {
  const now = deps.now ?? Date.now;
  const slots = new Map<string, Slot>();
  const persist = createPersistence(deps.store, deps.log, now);
  // The store's view of every route's state, kept current by every save: an engine (re)created for
  // a route — at start, after a reload, after its route came back — starts from it.
  const saved = new Map<string, unknown>(deps.states ?? []);
  if (!deps.states)
    try {
      const loaded = deps.store.loadStates() as Map<string, unknown> | Promise<Map<string, unknown>>;
      if (loaded instanceof Map) for (const [k, v] of loaded) saved.set(k, v);
      else
        void loaded.then(
          (m) => {
            for (const [k, v] of m) if (!saved.has(k)) saved.set(k, v);
            if (attached) runtime.attach(attached, true);
          },
          (err: unknown) => deps.log.error({ err }, 'guardrail state not loaded'),
        );
    } catch (err) {
      deps.log.error({ err }, 'guardrail state not loaded');
    }
  let lastSave = now();
  let attached: Snapshot | undefined;

  const applyWeights = (slot: Slot) => {
    const variants = slot.route.arms.slice(1).map((a) => a.name);
    slot.route.weights.set(
      variants.map((v) => slot.engine.percent(v)),
      'runtime',
      // A rolled-back variant is closed to QA overrides too (routing/assignment.ts).
      variants.map((v) => slot.engine.phase(v) === 'rolled-back'),
    );
  };

  const save = (route: string, slot: Slot) => {
    const state = slot.engine.state();
    saved.set(route, state);
    persist.saveState(route, state);
  };

  const decisionCounts: DecisionCounts = new Map();
  const record = (slot: Slot, d: Decision) => {
    applyWeights(slot);
    const ck = `${d.route}\u0000${d.arm}\u0000${d.action}\u0000${d.rule}`;
    const c = decisionCounts.get(ck) ?? { route: d.route, arm: d.arm, action: d.action, rule: d.rule, n: 0 };
    c.n++;
    decisionCounts.set(ck, c);
    deps.log[d.severity === 'error' ? 'error' : d.severity === 'warn' ? 'warn' : 'info'](
      {
        type: 'decision',
        route: d.route,
        arm: d.arm,
        action: d.action,
        from: d.fromPercent,
        to: d.toPercent,
        rule: d.rule,
        actor: d.actor,
      },
      d.reason,
    );
    // The operator's note and the force flag ride in the stored evidence (kept verbatim by every
    // backend), so no store schema has to change for them; `liftManual` puts them back on read.
    persist.appendDecision({
      ...d,
      evidence: d.note || d.forced ? { ...d.evidence, manual: { note: d.note ?? null, forced: d.forced ?? false } } : d.evidence,
    });
    const hook = slot.route.guardrails?.webhook;
    if (hook) deps.notifier.notify(hook, decisionPayload(d));
  };

  const saveAll = () => {
    for (const [route, slot] of slots) save(route, slot);
    lastSave = now();
  };

  const every = deps.evaluateEveryMs ?? 1000;
  const timer = every > 0 ? setInterval(() => runtime.tick(), every) : undefined;
  timer?.unref();

  const runtime: GuardrailsRuntime & { attach(snap: Snapshot, rebuild?: boolean): void } = {
    observer: {
      begin(x) {
        const slot = slots.get(x.route.name);
        // Forced (QA) requests are not the split's users; they would bias the comparison. Nor are
        // requests outside the experiment's audience: control must be the same population as the variant.
        // Nor are injected faults: they are ours, not the arm's, and must never roll it back alone.
        if (!slot || slot.route !== x.route || x.forced || x.excluded || x.fault) return undefined;
        return new EvidenceTracker(slot, x, outcomeRules(x.route.guardrails), now);
      },
    },
    attach(snap, rebuild = false) {
      attached = snap;
      const live = new Set<string>();
      for (const route of snap.routes) {
        if (!route.guardrails && !route.rollout) continue;
        const variants = route.arms.slice(1).map((a) => a.name);
        if (variants.length === 0) continue;
        live.add(route.name);
        const fingerprint = JSON.stringify([variants, route.guardrails, route.rollout, route.arms.map((a) => a.percent)]);
        const prev = slots.get(route.name);
        if (prev && !rebuild) saved.set(route.name, prev.engine.state());
        let state = saved.get(route.name) as { variants?: { arm: string }[] } | undefined;
        // A different set of variants is a new experiment: its old evidence doesn't apply.
        if (state && JSON.stringify(state.variants?.map((v) => v.arm)) !== JSON.stringify(variants)) state = undefined;
        const reuse = prev && prev.fingerprint === fingerprint && !rebuild;
        const engine = reuse ? prev.engine : engineFor(route, state, now());
        const slot = { engine, route, fingerprint };
        slots.set(route.name, slot);
        applyWeights(slot);
      }
      // A removed route keeps its stored state (saved, never deleted), so it comes back as it left.
      for (const [name, slot] of [...slots]) {
        if (live.has(name)) continue;
        save(name, slot);
        slots.delete(name);
      }
    },
    tick(at = now()) {
      const all: Decision[] = [];
      for (const slot of slots.values()) {
        let decisions: Decision[] = [];
        try {
          decisions = slot.engine.evaluate(at);
        } catch (err) {
          deps.log.error({ err }, 'guardrail evaluation failed');
        }
        for (const d of decisions) record(slot, d);
        all.push(...decisions);
      }
      if (all.length > 0 || at - lastSave >= SAVE_EVERY_MS) saveAll();
      persist.retry(at);
      return all;
    },
    manual(route, action, opts = {}) {
      const slot = slots.get(route);
      if (!slot) return { ok: false, error: attached?.routes.some((r) => r.name === route) ? 'no-guardrails' : 'unknown-route' };
      if (opts.arm !== undefined && (!slot.route.armIndex.has(opts.arm) || opts.arm === 'control'))
        return { ok: false, error: 'unknown-arm' };
      const result = slot.engine.manual(action, now(), { ...opts, actor: opts.actor ?? 'admin-api' });
      for (const d of result.decisions) record(slot, d);
      saveAll();
      return { ok: true, ...result };
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
            stepStartedAt: v.stepStartedAt,
            breach: v.breach,
            holdback: holdbackStatus(s.route.rollout, v),
            evidence: s.engine.inspect(v.arm, at),
          })),
        }));
    },
    routeNames: () => ({ all: attached?.routes.map((r) => r.name) ?? [], guarded: [...slots.keys()] }),
    health: () => persist.health(),
    decisionCounts,
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
      slot.engine = engineFor(slot.route, state, now());
      saved.set(route, state);
      applyWeights(slot);
    },
    follow(route, percents) {
      slots.get(route)?.engine.follow(percents);
    },
    idle: () => persist.idle(),
    stop() {
      if (timer) clearInterval(timer);
      saveAll();
    },
  };
  return runtime;
}

function holdbackStatus(rollout: RawRollout | undefined, v: RouteState['variants'][number]): HoldbackStatus | null {
  if (!rollout?.holdback) return null;
  // From the stored promotion, not the phase: a paused promoted variant still holds its units back
  // (or has released them). A rollback ends the promotion; the next one holds back again.
  const promotedAt = v.phase === 'rolled-back' ? null : (v.promotedAt ?? (v.phase === 'promoted' ? v.stepStartedAt : null));
  const releasedAt = promotedAt === null ? null : (v.holdbackReleasedAt ?? null);
  const forMs = rollout.holdbackFor ?? null;
  const active = promotedAt !== null && releasedAt === null;
  return {
    percent: rollout.holdback,
    forMs,
    active,
    promotedAt,
    endsAt: active && forMs !== null ? promotedAt + forMs : null,
    releasedAt,
    // The engine releases only a promoted variant without a breach (an alert's breach blocks it until resume or reset).
    blockedBy: active && (v.phase !== 'promoted' || v.breach !== null) ? (v.breach ?? v.phase) : null,
  };
}

function engineFor(route: CompiledRoute, state: unknown, at: number): Engine {
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
    at,
  );
}

/**
 * A stored decision with the operator's note and force flag back on top (see `record`).
 * @example store.decisions({ limit: 20 }).map(liftManual)
 */
export function liftManual<T extends { evidence: unknown }>(d: T): T & { note?: string; forced?: boolean } {
  const m = (d.evidence as { manual?: { note?: string | null; forced?: boolean } } | null)?.manual;
  if (!m) return d;
  return { ...d, ...(m.note ? { note: m.note } : {}), ...(m.forced ? { forced: true } : {}) };
}

/**
 * The webhook body of a decision: ISO timestamps, rounded numbers.
 * @example notifier.notify(hook, decisionPayload(d))
 */
export function decisionPayload(d: Decision): Record<string, unknown> {
  return { type: 'fieldlab.decision', ...(toJsonSafe(d) as Record<string, unknown>) };
}
