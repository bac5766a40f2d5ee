/**
 * The bandit in the running proxy: for every route with `experiment.allocation: bandit`, a timer
 * (never a request) reads the experiment's results — the same cached store query the API serves —
 * and re-weighs the route by Thompson sampling on the bandit's conversion goal: equal weights during
 * burn-in, a floor per open arm, 0 for an arm a guardrail rolled back. Weights move the route's
 * nested bucket ranges; units already seen keep their arm through the route's pins (routing/pins.ts),
 * refilled from the store's first exposures at start. Every applied change is a stored decision with
 * its posteriors, through the guardrails' retrying queue, so `/status` and `fieldlab status` show it.
 * In a group or a fleet one process decides (bandit-lead.ts): a follower never updates, it adopts
 * the decider's weights and keeps the last ones while no decider speaks.
 */
import type { Snapshot } from '../config/compile.js';
import type { RawBandit } from '../config/schema-bandit.js';
import type { CompiledRoute } from '../routing/route.js';
import { createUnitPins, type UnitPins } from '../routing/pins.js';
import { mulberry32, type Rng } from '../stats/random.js';
import type { ExperimentStore } from '../storage/experiment-types.js';
import type { GuardrailStore } from '../storage/guardrail-types.js';
import type { Logger } from '../telemetry/logger.js';
import { createPersistence } from '../guardrails/persist.js';
import { isBanditShared, type BanditLeader, type BanditShared } from './bandit-lead.js';
import type { ExperimentResults } from './results.js';
import { allocate, startThompson, type ArmPosterior } from './thompson.js';

/** Draws per slice between yields to the event loop (well under a millisecond each). */
const SLICE = 500;
/** How long a change waits for the pins' refresh from the store before it applies anyway. */
const REFRESH_MS = 2000;

/** One bandit route as `/status` shows it. */
export interface BanditStatus {
  readonly route: string;
  readonly goal: string;
  readonly phase: 'burn-in' | 'thompson';
  /** decider: this process computes the weights; follower: it applies the decider's (a group's worker, a fleet replica without the lease). */
  readonly role: 'decider' | 'follower';
  /** ISO time of the last update. */
  readonly updatedAt: string | null;
  readonly arms: readonly ArmPosterior[];
  /** Units this replica remembers, and how many it forgot to stay within maxUnits. */
  readonly pinned: number;
  readonly evicted: number;
  readonly updates: number;
  readonly lastError: string | null;
}

/**
 * What one update did: moved the weights, left them (under minChange), found no results yet, failed
 * to read, or was refused by the store because another replica took the lease meanwhile (fenced).
 */
export type BanditOutcome = 'applied' | 'unchanged' | 'no-results' | 'failed' | 'fenced';
export const BANDIT_OUTCOMES: readonly BanditOutcome[] = ['applied', 'unchanged', 'no-results', 'failed', 'fenced'];

/** One bandit route's served weights and update counts since start (the metrics, bandit-metrics.ts). */
export interface BanditCounts {
  readonly route: string;
  readonly weights: readonly { arm: string; percent: number }[];
  readonly outcomes: Readonly<Record<BanditOutcome, number>>;
}

/** The runtime. */
export interface BanditRuntime {
  /** Creates or keeps one slot per bandit route of `snap` and re-applies its weights (same tick as the swap). */
  attach(snap: Snapshot): void;
  /** Updates every due route now; resolves when their reads are done (tests drive this). */
  tick(force?: boolean): Promise<void>;
  /**
   * Applies a decider's weights (a follower; `seq`: the fleet decision's, older ones are ignored).
   * False when `shared` is malformed, names other arms, or the route has no bandit here.
   */
  adopt(route: string, shared: unknown, seq?: number): boolean;
  /** The newest fleet decision this process has applied for `route` (its own or adopted; 0: none). */
  appliedSeq(route: string): number;
  /** The weights of every route updated at least once, as followers adopt them. */
  shared(): Record<string, BanditShared>;
  /** Called with every change this process applied as decider (the primary tells its workers). */
  onApplied(fn: (route: string, shared: BanditShared) => void): void;
  status(route?: string): BanditStatus[];
  counts(): BanditCounts[];
  /** Resolves when no decision write is in flight. */
  idle(): Promise<void>;
  stop(): void;
}

interface Slot {
  route: CompiledRoute;
  cfg: RawBandit;
  fingerprint: string;
  pins: UnitPins;
  /** Percent per arm, control first, the bandit last applied. */
  percents: number[];
  arms: ArmPosterior[];
  phase: BanditStatus['phase'];
  role: BanditStatus['role'];
  /** The newest fleet decision adopted (0: none). */
  seq: number;
  /** Bumped by every adopted change: a refresh that finishes after a newer change applies nothing. */
  gen: number;
  /** The store read refreshing the pins, while one runs. */
  refilling: Promise<void> | undefined;
  dueAt: number;
  updatedAt: number | null;
  updates: number;
  busy: boolean;
  lastError: string | null;
  outcomes: Record<BanditOutcome, number>;
}

/**
 * Creates the runtime; `attach` the first snapshot after the guardrails runtime's.
 * @example const b = createBanditRuntime({ results, experiments: stores.experiments, decisions: stores.guardrails, log }); b.attach(config.current())
 */
export function createBanditRuntime(deps: {
  readonly results: ExperimentResults;
  readonly experiments: Pick<ExperimentStore, 'exportUnits'>;
  readonly decisions: Pick<GuardrailStore, 'appendDecision' | 'saveState'>;
  readonly log: Logger;
  /** Tells the route's guardrail engine the weights now served (GuardrailsRuntime.follow), so its reports and re-applies match. */
  readonly follow?: (route: string, percents: Readonly<Record<string, number>>) => void;
  readonly now?: () => number;
  /** Seed of the sampler (tests, the bench); default: random. */
  readonly seed?: number;
  /** 0: no timer (tests call tick). */
  readonly checkEveryMs?: number;
  /** Fleet mode: decide only while holding the route's bandit lease. */
  readonly leader?: BanditLeader;
  /** A worker of a group: never decide, only adopt what the primary sends. */
  readonly follower?: boolean;
}): BanditRuntime {
  const now = deps.now ?? Date.now;
  const rnd: Rng = mulberry32(deps.seed ?? Math.floor(Math.random() * 2 ** 32));
  const persist = createPersistence(deps.decisions, deps.log, now);
  const slots = new Map<string, Slot>();
  const appliedFns: ((route: string, shared: BanditShared) => void)[] = [];
  const sharedOf = (s: Slot): BanditShared => ({
    arms: s.route.arms.map((a) => a.name),
    percents: s.percents,
    posteriors: s.arms,
    phase: s.phase,
    updatedAt: s.updatedAt ?? 0,
  });

  const apply = (slot: Slot) => {
    const cell = slot.route.weights;
    cell.pins = slot.pins;
    cell.set(
      slot.percents.slice(1),
      'runtime',
      slot.percents.slice(1).map((_, i) => cell.closed[i] ?? false),
    );
    deps.follow?.(slot.route.name, Object.fromEntries(slot.route.arms.slice(1).map((a, i) => [a.name, slot.percents[i + 1]!])));
  };

  const update = async (slot: Slot, epoch: number | null): Promise<BanditOutcome> => {
    const { route, cfg } = slot;
    const { experiments } = await deps.results.read(route.name);
    const result = experiments[0];
    const goal = result?.goals.find((g) => g.name === cfg.goal);
    if (!result || !goal) return 'no-results';
    const cell = route.weights;
    const open = route.arms.map((_, i) => i === 0 || !cell.closed[i - 1]);
    const at = now();
    const started = result.startedAt === null ? null : Date.parse(result.startedAt);
    const burnIn = started === null || at - started < cfg.burnIn;
    const evidence = route.arms.map((a, i) => {
      const g = goal.arms.find((x) => x.arm === a.name);
      return { arm: a.name, units: g?.units ?? 0, conversions: g?.total ?? 0, open: open[i]! };
    });
    const run = startThompson(evidence, { floor: cfg.floor, rnd });
    // Sliced: one update never holds the event loop (and so no client request) for more than a slice.
    for (let done = 0; done < cfg.draws; done += SLICE) {
      run.draw(Math.min(SLICE, cfg.draws - done));
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
    let arms = run.result();
    if (burnIn) {
      const equal = allocate(
        evidence.map(() => 1),
        open,
        cfg.floor,
      );
      arms = arms.map((a, i) => ({ ...a, percent: equal[i]! }));
    }
    const next = arms.map((a) => a.percent);
    // A guardrail decision may have set the cell since (a rollback puts its arm to 0): compare with what is live.
    const live = [100 - cell.percents.reduce((s, p) => s + p, 0), ...cell.percents];
    const moved = next.some((p, i) => Math.abs(p - (live[i] ?? 0)) >= cfg.minChange || (p === 0) !== ((live[i] ?? 0) === 0));
    const phase = burnIn ? 'burn-in' : 'thompson';
    if (!moved) {
      // Followers keep the weights of the last change; only a change is published (one decision per change).
      slot.arms = arms;
      slot.phase = phase;
      slot.updatedAt = at;
      return 'unchanged';
    }
    const shared: BanditShared = { arms: route.arms.map((a) => a.name), percents: next, posteriors: arms, phase, updatedAt: at };
    if (deps.leader && epoch !== null) {
      // Published before it is applied or stored: a deposed decider changes nothing, anywhere.
      const seq = await deps.leader.publish(route.name, epoch, shared);
      if (seq === undefined) {
        slot.role = 'follower';
        return 'fenced';
      }
      slot.seq = Math.max(slot.seq, seq);
    }
    // Units first seen by other processes keep their arm through this change (see refreshPins).
    if (shares) await refreshPins(slot);
    slot.arms = arms;
    slot.phase = phase;
    slot.updatedAt = at;
    slot.percents = next;
    apply(slot);
    slot.updates++;
    const rule = burnIn ? 'bandit-burn-in' : 'bandit-thompson';
    const summary = arms
      .map(
        (a) => `${a.arm} ${a.alpha - 1}/${a.alpha + a.beta - 2} (mean ${a.mean.toFixed(3)}, P(best) ${a.pBest.toFixed(3)}) → ${a.percent}%`,
      )
      .join('; ');
    const reason = `${burnIn ? 'burn-in: equal weights' : `Thompson sampling on ${cfg.goal}`}: ${summary}`;
    deps.log.info({ type: 'decision', route: route.name, action: 'reweight', rule, to: next }, reason);
    arms.forEach((a, i) => {
      if (i === 0 || Math.abs(next[i]! - (live[i] ?? 0)) < 1e-9) return;
      persist.appendDecision({
        at,
        route: route.name,
        arm: a.arm,
        action: 'reweight',
        fromPercent: live[i] ?? 0,
        toPercent: next[i]!,
        rule,
        reason,
        evidence: { goal: cfg.goal, phase: slot.phase, floor: cfg.floor, draws: cfg.draws, posteriors: arms },
      });
    });
    for (const fn of appliedFns) fn(route.name, shared);
    return 'applied';
  };

  /**
   * Before a change applies in a group or a fleet: the pins take every stored first exposure (other
   * processes' units too), so a unit first seen elsewhere before the change keeps its arm after it.
   * One paged read per change (not per poll), bounded in time: late, the change applies anyway.
   */
  const shares = deps.leader !== undefined || deps.follower === true;
  const refreshes = new Set<Promise<unknown>>();
  const refreshPins = (slot: Slot): Promise<unknown> => {
    slot.refilling ??= refill(slot)
      .catch((err: unknown) => deps.log.warn({ err, route: slot.route.name }, 'bandit pins not refreshed from the store'))
      .finally(() => (slot.refilling = undefined));
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, REFRESH_MS)));
    return Promise.race([slot.refilling, late]).finally(() => clearTimeout(timer));
  };

  /** Start-up refill: every unit's first-exposure arm, a page at a time, up to the map's size. */
  const refill = async (slot: Slot) => {
    const index = new Map(slot.route.arms.map((a, i) => [a.name, i]));
    let after = '';
    while (slot.pins.size < slot.cfg.maxUnits) {
      const page = await deps.experiments.exportUnits({
        route: slot.route.name,
        goals: [],
        windowMs: 0,
        after,
        since: 0,
        limit: Math.min(1000, slot.cfg.maxUnits - slot.pins.size),
      });
      for (const u of page.units) {
        const arm = index.get(u.arm);
        if (arm !== undefined) slot.pins.pin(u.unit, arm);
      }
      if (page.next === undefined) return;
      after = page.next;
    }
  };

  /** The lease, renewed on every check (not only when an update is due) so it never lapses between updates. */
  const decides = async (slot: Slot): Promise<number | null> => {
    if (deps.follower) return null;
    if (!deps.leader) return 0;
    const epoch = await deps.leader.lead(slot.route.name);
    slot.role = epoch === null ? 'follower' : 'decider';
    return epoch;
  };

  const tickSlot = async (slot: Slot, force: boolean) => {
    if (slot.busy) return;
    slot.busy = true;
    try {
      const epoch = await decides(slot);
      const at = now();
      if (epoch === null || (!force && at < slot.dueAt)) return;
      slot.dueAt = at + slot.cfg.every;
      slot.outcomes[await update(slot, deps.leader ? epoch : null)]++;
      slot.lastError = null;
    } catch (err) {
      slot.outcomes.failed++;
      slot.lastError = err instanceof Error ? err.message : String(err);
      deps.log.warn({ err, route: slot.route.name }, 'bandit update failed; weights kept');
    } finally {
      slot.busy = false;
    }
  };

  const every = deps.checkEveryMs ?? 1000;
  const timer = every > 0 ? setInterval(() => void runtime.tick(), every) : undefined;
  timer?.unref();

  const runtime: BanditRuntime = {
    attach(snap) {
      const live = new Set<string>();
      for (const route of snap.routes) {
        const exp = snap.config.routes.find((r) => r.name === route.name)?.experiment;
        if (exp?.allocation !== 'bandit' || !exp.bandit || route.arms.length < 2) continue;
        live.add(route.name);
        const fingerprint = JSON.stringify([route.arms.map((a) => a.name), exp.bandit]);
        const prev = slots.get(route.name);
        if (prev && prev.fingerprint === fingerprint) {
          prev.route = route;
          apply(prev);
          continue;
        }
        const n = route.arms.length;
        const open = route.arms.map((_, i) => i === 0 || !route.weights.closed[i - 1]);
        const slot: Slot = {
          route,
          cfg: exp.bandit,
          fingerprint,
          // Same arms: the same units keep their arms; a new arm list is a new experiment.
          pins:
            prev && JSON.parse(prev.fingerprint)[0].join() === route.arms.map((a) => a.name).join()
              ? prev.pins
              : createUnitPins(exp.bandit.maxUnits),
          percents: allocate(
            route.arms.map(() => 1 / n),
            open,
            exp.bandit.floor,
          ),
          arms: [],
          phase: 'burn-in',
          role: deps.follower || deps.leader ? 'follower' : 'decider',
          seq: 0,
          gen: 0,
          refilling: undefined,
          dueAt: 0,
          updatedAt: null,
          updates: 0,
          busy: false,
          lastError: null,
          outcomes: { applied: 0, unchanged: 0, 'no-results': 0, failed: 0, fenced: 0 },
        };
        slots.set(route.name, slot);
        apply(slot);
        if (!prev)
          refill(slot).catch((err: unknown) => deps.log.warn({ err, route: route.name }, 'bandit units not refilled from the store'));
      }
      for (const name of [...slots.keys()]) if (!live.has(name)) slots.delete(name);
    },
    async tick(force = false) {
      await Promise.all([...slots.values()].map((s) => tickSlot(s, force)));
    },
    adopt(route, shared, seq = 0) {
      const slot = slots.get(route);
      if (!slot || !isBanditShared(shared) || (seq > 0 && seq <= slot.seq)) return false;
      if (shared.arms.join('\n') !== slot.route.arms.map((a) => a.name).join('\n')) return false;
      slot.seq = seq;
      slot.percents = [...shared.percents];
      slot.arms = [...shared.posteriors];
      slot.phase = shared.phase;
      slot.updatedAt = shared.updatedAt;
      if (!shares) {
        apply(slot);
        return true;
      }
      const gen = ++slot.gen;
      const done = refreshPins(slot).then(() => {
        if (slot.gen === gen) apply(slot);
      });
      refreshes.add(done);
      void done.finally(() => refreshes.delete(done));
      return true;
    },
    appliedSeq: (route) => slots.get(route)?.seq ?? 0,
    shared: () => Object.fromEntries([...slots.values()].filter((s) => s.updatedAt !== null).map((s) => [s.route.name, sharedOf(s)])),
    onApplied(fn) {
      appliedFns.push(fn);
    },
    status(route) {
      return [...slots.values()]
        .filter((s) => route === undefined || s.route.name === route)
        .map((s) => ({
          route: s.route.name,
          goal: s.cfg.goal,
          phase: s.phase,
          role: s.role,
          updatedAt: s.updatedAt === null ? null : new Date(s.updatedAt).toISOString(),
          arms: s.arms,
          pinned: s.pins.size,
          evicted: s.pins.evicted,
          updates: s.updates,
          lastError: s.lastError,
        }));
    },
    counts: () =>
      [...slots.values()].map((s) => ({
        route: s.route.name,
        // The cell, not the bandit's last split: a rollback since shows at once.
        weights: s.route.arms.map((a, i) => {
          const v = s.route.weights.percents;
          return { arm: a.name, percent: i === 0 ? 100 - v.reduce((n, p) => n + p, 0) : (v[i - 1] ?? 0) };
        }),
        outcomes: { ...s.outcomes },
      })),
    async idle() {
      await Promise.all(refreshes);
      await persist.idle();
    },
    stop() {
      if (timer) clearInterval(timer);
    },
  };
  return runtime;
}
