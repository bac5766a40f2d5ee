/**
 * The sick-canary ramp in the running proxy: one slot per route with `fault.ramp`. An exchange
 * observer files each request of the ramp's arms under the slice or the control (same route, same
 * time), the experiment recorder hands it the goal events, and once a second each running ramp is
 * judged (ramp-judge.ts) and moved (ramp-machine.ts). Every start, resume, advance and end is a
 * decision in the guardrails' decision log, and the state is stored under `ramp:ROUTE` (a key no
 * route can have), so a restart resumes the ramp at its step or reports the finished one — never
 * silently from step 1. Nothing here runs on the request path but a hash and a few counters.
 * In a `workers: N` group the primary is the one judge (`mode: 'judge'`: it `absorb`s its workers'
 * batches) and each worker a follower (`mode: 'follow'`: it `adopt`s the step the primary sends and
 * `relay`s its evidence), faults/ramp-relay.ts.
 */
import type { Snapshot } from '../config/compile.js';
import type { GoalSpec } from '../experiments/spec.js';
import { unitKey } from '../experiments/recorder.js';
import { classifyOutcome, outcomeRules } from '../guardrails/outcome.js';
import { createPersistence, type PersistenceHealth } from '../guardrails/persist.js';
import type { CompiledRoute } from '../routing/route.js';
import type { GuardrailStore } from '../storage/guardrail-types.js';
import type { ExchangeObserver } from '../telemetry/hooks.js';
import type { Logger } from '../telemetry/logger.js';
import { createStepEvidence, type StepEvidence } from './ramp-evidence.js';
import { judgeStep, type StepJudgement } from './ramp-judge.js';
import { setRampLevel } from './ramp-level.js';
import { breakingPoint, fmt, startRamp, tickRamp, type RampState, type RampStep } from './ramp-machine.js';
import { createIntake, createRelay, parseRampShared, type Intake, type RampBatch, type RampShared, type Relay } from './ramp-relay.js';
import { inRampSlice, type CompiledRamp } from './ramp-spec.js';

/** The state row's key of `route`'s ramp (not a valid route name: no engine ever loads it). */
export const rampKey = (route: string): string => `ramp:${route}`;

/** One ramp as `GET /status` (`ramps`), `fieldlab status` and the dashboard show it. */
export interface RampStatus {
  route: string;
  kind: 'delay' | 'abort';
  levels: readonly number[];
  slicePercent: number;
  goal: string | null;
  phase: 'running' | 'done';
  step: number;
  /** The level in force (null once done). */
  level: number | null;
  startedAt: number;
  stepStartedAt: number;
  dwellMs: number;
  /** The running step's numbers so far (null once done). */
  current: StepJudgement | null;
  steps: readonly RampStep[];
  end: RampState['end'];
  endedAt: number | null;
  lastSafe: RampStep | null;
  firstHarmful: RampStep | null;
  injected: number;
  routeRequests: number;
  /** Injected failures the budget allows now (null: no budget). */
  budgetAllowed: number | null;
  /** Evidence entries dropped because a bounded map was full. */
  dropped: number;
}

/** The runtime. */
export interface RampRuntime {
  readonly observer: ExchangeObserver;
  /** A goal event (the experiment recorder's `onGoal`). */
  goal(g: GoalSpec, unit: string, at: number, value: number): void;
  attach(snap: Snapshot): void;
  tick(now?: number): void;
  status(route?: string): RampStatus[];
  health(): PersistenceHealth;
  idle(): Promise<void>;
  stop(): void;
  /** The judge: a worker's batch for its running step (others are counted stale and ignored). */
  absorb(b: RampBatch): void;
  /** The judge: the step in force per route, for its workers (null: none). */
  shared(): Record<string, RampShared | null>;
  /** The judge: called when a route's step in force changes. */
  onChange(cb: (route: string, shared: RampShared | null) => void): void;
  /** A follower: the primary's steps (route → RampShared | null), applied at once. */
  adopt(shared: Readonly<Record<string, unknown>>): void;
  /** A follower: its evidence since the last call, per running ramp. */
  relay(): RampBatch[];
  /** Batches for another ramp or step than the one judged (a worker's late second), ignored. */
  stale(): number;
}

interface Slot {
  route: CompiledRoute;
  ramp: CompiledRamp;
  state: RampState;
  ev: StepEvidence;
  /** A follower's sink in place of `ev`; the judge's intake of its workers' batches into `ev`. */
  relay?: Relay;
  intake?: Intake;
  /** Counted since the last tick (the machine adds them to the budget's terms). */
  injected: number;
  routeRequests: number;
  dropped: number;
}

const SAVE_EVERY_MS = 10_000;

/**
 * Creates the runtime; `attach` it to each snapshot, add its observer and route goal events to it.
 * @example const ramps = createRampRuntime({ store: stores.guardrails, states, log, faultsOn: () => faultState().enabled })
 */
export function createRampRuntime(deps: {
  store: Pick<GuardrailStore, 'saveState' | 'appendDecision'>;
  log: Logger;
  /** Stored states (`await store.loadStates()`), read for `ramp:ROUTE`. */
  states: ReadonlyMap<string, unknown>;
  /** The kill switch: false stops every running ramp. */
  faultsOn: () => boolean;
  now?: () => number;
  /** 0: no timer (tests call tick). */
  evaluateEveryMs?: number;
  /** Why ramps cannot run in this process (a `workers: N` group, a fleet store): they stay off, logged. */
  unavailable?: string;
  /** judge: the primary of a group (no traffic, its workers' batches); follow: a worker. Default: alone. */
  mode?: 'judge' | 'follow';
  /** false: never sets the level in force (a fleet judge: the replica's follower injects what it adopts). */
  injects?: boolean;
}): RampRuntime {
  const now = deps.now ?? Date.now;
  const persist = createPersistence(deps.store, deps.log, now);
  const saved = new Map<string, unknown>(deps.states);
  const slots = new Map<string, Slot>();
  let lastSave = now();
  const follow = deps.mode === 'follow';
  const judge = deps.mode === 'judge';
  const told = new Map<string, RampShared | null>();
  const listeners: ((route: string, shared: RampShared | null) => void)[] = [];
  let stale = 0;

  const save = (name: string, slot: Slot) => {
    // A follower's store is the primary's: only the judge writes the ramp's state.
    if (follow) return;
    saved.set(rampKey(name), slot.state);
    persist.saveState(rampKey(name), slot.state);
  };
  const decide = (slot: Slot, at: number, action: string, reason: string, evidence: Record<string, unknown>) => {
    const name = slot.route.name;
    deps.log[action === 'ramp-done' || action === 'ramp-stop' ? 'warn' : 'info'](
      { type: 'decision', route: name, action, rule: 'fault.ramp' },
      reason,
    );
    const pct = slot.ramp.sliceBelow / 100;
    persist.appendDecision({
      at,
      route: name,
      arm: 'fault',
      action,
      fromPercent: pct,
      toPercent: slot.state.phase === 'running' ? pct : 0,
      rule: 'fault.ramp',
      reason,
      evidence: { ramp: { kind: slot.state.kind, levels: slot.state.levels, step: slot.state.step, end: slot.state.end }, ...evidence },
    });
    save(name, slot);
  };
  const sharedOf = (slot: Slot): RampShared | null =>
    slot.state.phase === 'running'
      ? { identity: slot.state.identity, step: slot.state.step, level: slot.state.levels[slot.state.step]! }
      : null;
  const setLevel = (route: string, ms: number | undefined) => {
    if (deps.injects !== false) setRampLevel(route, ms);
  };
  const publish = (slot: Slot) => {
    setLevel(slot.route.name, slot.state.phase === 'running' ? slot.state.levels[slot.state.step] : undefined);
    if (judge) for (const cb of listeners) cb(slot.route.name, sharedOf(slot));
  };
  const newSlot = (route: CompiledRoute, ramp: CompiledRamp, state: RampState): Slot => {
    const slot: Slot = { route, ramp, state, ev: createStepEvidence(ramp.tolerance), injected: 0, routeRequests: 0, dropped: 0 };
    renew(slot);
    return slot;
  };
  /** A new step's evidence (and a follower's relay, the judge's intake). */
  const renew = (slot: Slot) => {
    slot.ev = createStepEvidence(slot.ramp.tolerance);
    if (follow) slot.relay = createRelay();
    if (judge) slot.intake = createIntake(slot.ev, () => slot.dropped++);
  };
  /** A follower's state: the primary's step if it sent one for this ramp, else nothing in force. */
  const followed = (slot: Slot, at: number): RampState => {
    const t = told.get(slot.route.name);
    const base = { ...slot.state, stepStartedAt: at };
    if (!t || t.identity !== slot.ramp.identity || t.step >= slot.state.levels.length) return { ...base, phase: 'done' };
    return { ...base, phase: 'running', step: t.step };
  };

  const every = follow ? 0 : (deps.evaluateEveryMs ?? 1000);
  const timer = every > 0 ? setInterval(() => runtime.tick(), every) : undefined;
  timer?.unref();

  const runtime: RampRuntime = {
    observer: {
      name: 'ramps',
      begin(x) {
        const slot = slots.get(x.route.name);
        // QA-forced and out-of-audience requests are not the route's users (as for the guardrails).
        if (!slot || slot.route !== x.route || slot.state.phase !== 'running' || x.forced || x.excluded) return undefined;
        const arms = x.route.fault?.arms;
        const judged = !arms || arms.has(x.arm);
        const slice = judged && inRampSlice(slot.ramp, x.route.seed, x.key);
        // A signed QA fault on a control unit makes it neither slice nor control.
        const counted = judged && (slice || x.fault === undefined);
        const ev = slot.relay ?? slot.ev;
        return {
          end(outcome, totalMs) {
            slot.routeRequests++;
            // A request that began in an earlier step says nothing about this one.
            if (!counted || ev !== (slot.relay ?? slot.ev)) return;
            // Exposed once answered (or given up on): a unit still waiting out its delay would count
            // as "not converted" yet, biasing the slowest group against itself.
            ev.expose(unitKey(x.key), slice);
            if (x.fault === 'abort' || x.fault === 'reset') {
              // The injected stream: kept apart from the real errors the vital signs judge.
              slot.injected++;
              return ev.injectedFailure();
            }
            const c = classifyOutcome(outcomeRules(x.route.guardrails), outcome.status, outcome.upstreamMs ?? totalMs);
            if (x.fault === 'delay' && (c.bad || outcome.status === 499)) {
              slot.injected++;
              ev.injectedFailure();
            }
            if (c.counted) ev.request(slice, Math.floor(x.startedAtEpoch / 1000), c.bad);
          },
        };
      },
    },
    goal(g, unit, _at, value) {
      const slot = slots.get(g.experiment);
      if (!slot || slot.ramp.goal !== g.name || slot.state.phase !== 'running') return;
      (slot.relay ?? slot.ev).goal(unit, value, g.kind === 'conversion');
    },
    attach(snap) {
      if (deps.unavailable) {
        const named = snap.routes.filter((r) => r.fault?.ramp).map((r) => r.name);
        if (named.length > 0) deps.log.warn({ routes: named }, `fault.ramp is not run: ${deps.unavailable}`);
        return;
      }
      const live = new Set<string>();
      const at = now();
      for (const route of snap.routes) {
        const ramp = route.fault?.ramp;
        if (!ramp) continue;
        live.add(route.name);
        const prev = slots.get(route.name);
        if (prev && prev.ramp.identity === ramp.identity) {
          // Same ramp, new knobs (dwell, goal, tolerance): it goes on with its evidence.
          prev.route = route;
          prev.ramp = ramp;
          continue;
        }
        if (follow) {
          // A worker decides nothing: it injects the step the primary sent, or nothing until told.
          const slot = newSlot(route, ramp, startRamp(ramp, at));
          slot.state = followed(slot, at);
          slots.set(route.name, slot);
          publish(slot);
          continue;
        }
        const stored = saved.get(rampKey(route.name)) as RampState | undefined;
        const resume = stored?.v === 1 && stored.identity === ramp.identity ? stored : undefined;
        const state = resume?.phase === 'running' ? { ...resume, stepStartedAt: at } : (resume ?? startRamp(ramp, at));
        const slot = newSlot(route, ramp, state);
        slots.set(route.name, slot);
        publish(slot);
        const level = fmt(state.kind, state.levels[state.step]!);
        if (!resume)
          decide(
            slot,
            at,
            'ramp-start',
            `ramp started at ${level} on ${ramp.sliceBelow / 100}% of units${stored ? ' (a new run: the stored ramp had other levels or run)' : ''}`,
            {},
          );
        else if (resume.phase === 'running')
          decide(
            slot,
            at,
            'ramp-resume',
            `ramp resumed at step ${state.step + 1} (${level}): this step's dwell and evidence start again`,
            {},
          );
      }
      for (const [name, slot] of [...slots]) {
        if (live.has(name)) continue;
        save(name, slot);
        setLevel(name, undefined);
        slots.delete(name);
        if (judge) for (const cb of listeners) cb(name, null);
      }
    },
    tick(at = now()) {
      if (follow) return;
      for (const [name, slot] of slots) {
        if (slot.state.phase !== 'running') continue;
        try {
          slot.ev.settle(Math.floor(at / 1000));
          const judgement = judgeStep(slot.ramp, slot.ev);
          const availability = slot.route.guardrails?.slo.availability ?? 99.9;
          const { state, transition } = tickRamp(slot.state, {
            now: at,
            judgement,
            dwellMs: slot.ramp.dwellMs,
            killed: !deps.faultsOn(),
            injected: slot.injected,
            routeRequests: slot.routeRequests,
            budget: slot.ramp.budget,
            errorBudget: 1 - availability / 100,
          });
          slot.injected = 0;
          slot.routeRequests = 0;
          slot.state = state;
          if (!transition) continue;
          slot.dropped += slot.ev.dropped;
          renew(slot);
          publish(slot);
          decide(slot, at, transition.action, transition.reason, { judgement, ...(state.phase === 'done' ? breakingPoint(state) : {}) });
        } catch (err) {
          deps.log.error({ err, route: name }, 'ramp evaluation failed');
        }
      }
      if (at - lastSave >= SAVE_EVERY_MS) {
        for (const [name, slot] of slots) if (slot.state.phase === 'running') save(name, slot);
        lastSave = at;
      }
      persist.retry(at);
    },
    status(route) {
      return [...slots.values()]
        .filter((s) => route === undefined || s.route.name === route)
        .map((s): RampStatus => {
          const running = s.state.phase === 'running';
          const availability = s.route.guardrails?.slo.availability ?? 99.9;
          return {
            route: s.route.name,
            kind: s.state.kind,
            levels: s.state.levels,
            slicePercent: s.ramp.sliceBelow / 100,
            goal: s.ramp.goal ?? null,
            phase: s.state.phase,
            step: s.state.step,
            level: running ? s.state.levels[s.state.step]! : null,
            startedAt: s.state.startedAt,
            stepStartedAt: s.state.stepStartedAt,
            dwellMs: s.ramp.dwellMs,
            current: running ? judgeStep(s.ramp, s.ev) : null,
            steps: s.state.steps,
            end: s.state.end,
            endedAt: s.state.endedAt,
            ...breakingPoint(s.state),
            injected: s.state.injected,
            routeRequests: s.state.routeRequests,
            budgetAllowed: s.ramp.budget === undefined ? null : s.ramp.budget * (1 - availability / 100) * s.state.routeRequests,
            dropped: s.dropped + (running ? s.ev.dropped : 0),
          };
        });
    },
    absorb(b) {
      const slot = slots.get(b.route);
      if (!slot?.intake || slot.state.phase !== 'running' || slot.state.identity !== b.identity || slot.state.step !== b.step)
        return void stale++;
      slot.injected += b.injected;
      slot.routeRequests += b.routeRequests;
      slot.dropped += b.dropped;
      slot.intake.absorb(b);
    },
    shared: () => Object.fromEntries([...slots].map(([name, slot]) => [name, sharedOf(slot)])),
    onChange(cb) {
      listeners.push(cb);
    },
    adopt(shared) {
      const at = now();
      for (const [route, raw] of Object.entries(shared)) {
        const t = parseRampShared(raw);
        if (t === undefined) {
          deps.log.warn({ route }, 'ramp step from the primary not applied (malformed)');
          continue;
        }
        told.set(route, t);
        const slot = slots.get(route);
        if (!slot) continue;
        const next = followed(slot, at);
        if (next.phase === slot.state.phase && next.step === slot.state.step) continue;
        slot.state = next;
        renew(slot);
        publish(slot);
      }
    },
    relay() {
      const out: RampBatch[] = [];
      for (const [route, slot] of slots) {
        if (!slot.relay || slot.state.phase !== 'running') continue;
        const { identity, step } = slot.state;
        out.push({ route, identity, step, routeRequests: slot.routeRequests, ...slot.relay.drain() });
        slot.routeRequests = 0;
        slot.injected = 0;
      }
      return out;
    },
    stale: () => stale,
    health: () => persist.health(),
    idle: () => persist.idle(),
    stop() {
      if (timer) clearInterval(timer);
      for (const [name, slot] of slots) {
        save(name, slot);
        setLevel(name, undefined);
      }
    },
  };
  return runtime;
}
