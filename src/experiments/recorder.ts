/**
 * The experiment recorder: an exchange observer that notes each unit's first exposure per arm (with
 * the weights live then; a unit is exposed once its arm answered a request) and every goal request by a unit, in bounded in-memory maps flushed to the
 * store once a second from a timer — never on the request path. When a map is full, new entries are
 * dropped and counted (the client's response is never affected); a flush still in flight when the
 * next is due just lets the maps fill. Vital signs ($requests with latency, $errors) are recorded
 * per unit and minute for every request on an experiment route.
 */
import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { Snapshot } from '../config/compile.js';
import { createLru } from '../compare/lru.js';
import type { ArmRanges } from '../routing/assign.js';
import { inSlice, type Exclusion } from '../routing/audience.js';
import type { CompiledRoute } from '../routing/route.js';
import type { ExperimentBatch, ExperimentStore, ExposureRow, GoalEventRow } from '../storage/experiment-types.js';
import type { ExchangeInfo, ExchangeObserver } from '../telemetry/hooks.js';
import { experimentsOf, requestMatches, statusMatches, type ExperimentSpec, type GoalSpec } from './spec.js';

/** Recorder counters (GET /experiments.json shows them under `recorder`). */
export interface RecorderStats {
  readonly exposures: number;
  readonly events: number;
  readonly droppedExposures: number;
  readonly droppedEvents: number;
  readonly failedBatches: number;
}

/** Why a recorded row was lost: its bounded map was full, or the store failed its batch. */
export type DropReason = 'exposures_full' | 'events_full' | 'store_failed';

/** One experiment route's counters (`fieldlab_experiment_*` metrics). */
export interface RouteRecorderStats {
  readonly exposures: number;
  readonly events: number;
  /** Exposures and unit-minute event cells lost, by reason (a failed batch loses both kinds). */
  readonly dropped: Readonly<Record<DropReason, number>>;
}

/** The running recorder. */
export interface ExperimentRecorder {
  readonly observer: ExchangeObserver;
  /** Records one goal event (the response tap calls this once it has read the response). */
  goal(g: GoalSpec, unit: string, at: number, value: number): void;
  /** Writes everything pending now; resolves once stored or dropped (never rejects). */
  flush(): Promise<void>;
  stats(): RecorderStats;
  /** Counters per experiment route (bounded by the route names the config ever had). */
  byRoute(): ReadonlyMap<string, RouteRecorderStats>;
  stop(): Promise<void>;
}

/** Bounds: pending exposures and unit-minute event cells between flushes, and recently stored exposures. */
export interface RecorderLimits {
  readonly maxExposures?: number;
  readonly maxEvents?: number;
  readonly seenUnits?: number;
}

type Cell = { -readonly [K in keyof GoalEventRow]: GoalEventRow[K] };

/**
 * Creates the recorder; it reads the live snapshot per request to find the experiments.
 * @example const rec = createExperimentRecorder({ store: stores.experiments, current: config.current }); observers.push(rec.observer)
 */
export function createExperimentRecorder(deps: {
  readonly store: Pick<ExperimentStore, 'writeExperiments'>;
  readonly current: () => Snapshot;
  readonly flushMs?: number;
  readonly limits?: RecorderLimits;
  readonly onError?: (err: unknown) => void;
  /** Also sees every goal event (the fault ramp judges its slice's goal on them). */
  readonly onGoal?: (g: GoalSpec, unit: string, at: number, value: number) => void;
}): ExperimentRecorder {
  const maxExposures = deps.limits?.maxExposures ?? 20_000;
  const maxEvents = deps.limits?.maxEvents ?? 50_000;
  let exposures = new Map<string, ExposureRow>();
  let events = new Map<string, Cell>();
  // Units already sent: a returning unit costs a lookup, not a row per request.
  const seen = createLru<string, true>(deps.limits?.seenUnits ?? 100_000);
  const counts = { exposures: 0, events: 0, droppedExposures: 0, droppedEvents: 0, failedBatches: 0 };
  const routes = new Map<string, { exposures: number; events: number; dropped: Record<DropReason, number> }>();
  // Touched only for a new row or a drop, never for a request that adds to an existing cell.
  const of = (route: string) => {
    let r = routes.get(route);
    if (!r) routes.set(route, (r = { exposures: 0, events: 0, dropped: { exposures_full: 0, events_full: 0, store_failed: 0 } }));
    return r;
  };
  let writing: Promise<void> | undefined;

  const expose = (route: string, unit: string, arm: string, at: number, weights: string) => {
    const key = `${route}\u0000${unit}\u0000${arm}`;
    if (seen.get(key) || exposures.has(key)) return;
    if (exposures.size >= maxExposures) {
      counts.droppedExposures++;
      of(route).dropped.exposures_full++;
      return;
    }
    exposures.set(key, { route, unit, arm, at, weights });
    counts.exposures++;
    of(route).exposures++;
  };

  const event = (route: string, goal: string, unit: string, at: number, count: number, value: number) => {
    const minute = at - (at % 60_000);
    const key = `${route}\u0000${goal}\u0000${unit}\u0000${minute}`;
    const cell = events.get(key);
    if (cell) {
      cell.count += count;
      cell.value += value;
      return;
    }
    if (events.size >= maxEvents) {
      counts.droppedEvents++;
      of(route).dropped.events_full++;
      return;
    }
    events.set(key, { route, goal, unit, minute, count, value });
    counts.events++;
    of(route).events++;
  };

  const goal = (g: GoalSpec, unit: string, at: number, value: number) => {
    deps.onGoal?.(g, unit, at, value);
    event(g.experiment, g.name, unit, at, 1, value);
  };

  const begin = (x: ExchangeInfo) => {
    const exps = experimentsOf(deps.current());
    if (exps.empty) return undefined;
    const exp = exps.byRoute.get(x.route.name);
    const path = pathOf(x.target);
    let matched: GoalSpec[] | undefined;
    for (const g of exps.goalsOn(x.route.name)) {
      // Response-dependent goals (header, JSON field, value) are recorded by the response tap.
      if (g.header === undefined && !g.needsBody && requestMatches(g, x.method, path)) (matched ??= []).push(g);
    }
    // A forced arm (QA), a request outside the experiment's audience (targeting, layer slice) or one
    // no endpoint served says nothing about the split's units.
    const exposed = exp !== undefined && !x.forced && x.excluded === undefined && x.endpoint !== undefined;
    if (!exposed && !matched) return undefined;
    // The weights the arm was assigned under, read now: a rollback landing while the response is in
    // flight must not record a variant exposure under 0% (the leak check would call it impossible).
    const weights = exposed ? weightsOf(x.route) : '';
    return {
      end(o: { status: number; code: string | undefined }, totalMs: number) {
        const at = x.startedAtEpoch;
        if (exposed) {
          const unit = unitKey(x.key);
          // Exposed = its arm answered (no proxy-made error): a variant that loses some users'
          // requests loses their exposures too, which is exactly what the SRM check is for.
          if (o.code === undefined) expose(exp.route, unit, x.arm, at, weights);
          event(exp.route, '$requests', unit, at, 1, totalMs);
          if (o.status >= 500) event(exp.route, '$errors', unit, at, 1, 0);
        }
        if (!matched) return;
        for (const g of matched) {
          if (!statusMatches(g, o.status)) continue;
          const unit = unitFor(exps.byRoute.get(g.experiment), x.route.name, x);
          if (unit !== undefined) goal(g, unit, at, 0);
        }
      },
    };
  };

  const flush = (): Promise<void> => {
    if (writing) return writing;
    if (exposures.size === 0 && events.size === 0) return Promise.resolve();
    const batch: ExperimentBatch = { exposures: [...exposures.values()], events: [...events.values()] };
    const keys = [...exposures.keys()];
    exposures = new Map();
    events = new Map();
    // Fire and forget from the timer; the promise is for shutdown and tests, and never rejects.
    writing = new Promise<void>((resolve) => resolve(deps.store.writeExperiments(batch)))
      .then(
        () => {
          for (const k of keys) seen.set(k, true);
        },
        (err: unknown) => {
          counts.failedBatches++;
          counts.droppedExposures += batch.exposures.length;
          counts.droppedEvents += batch.events.length;
          for (const row of [...batch.exposures, ...batch.events]) of(row.route).dropped.store_failed++;
          deps.onError?.(err);
        },
      )
      .finally(() => {
        writing = undefined;
      });
    return writing;
  };
  const timer = setInterval(() => void flush(), deps.flushMs ?? 1000);
  timer.unref();

  return {
    observer: { name: 'experiments', begin },
    goal,
    async flush() {
      await writing;
      await flush();
    },
    stats: () => ({ ...counts }),
    byRoute: () => routes,
    async stop() {
      clearInterval(timer);
      await writing;
      await flush();
    },
  };
}

/**
 * The unit of a goal request for an experiment: on the experiment's own route the key it was assigned
 * by (also a freshly generated one), elsewhere the experiment's sticky sources; '' when absent, and
 * undefined for a QA-forced request or a unit outside the experiment's layer slice (it says nothing
 * about the split's units).
 * @example unitFor(spec, 'checkout', exchangeInfo) // 'u-123'
 */
export function unitFor(exp: ExperimentSpec | undefined, route: string, x: UnitSource): string | undefined {
  if (!exp) return undefined;
  // Targeting is judged on the exposure, not on goal requests (a checkout need not carry the product
  // page's ?ref=): the store counts goals of exposed units only. A unit outside the experiment's layer
  // slice, though, can never be exposed, so its goal requests are not even "unexposed" traffic.
  if (route === exp.route) return x.forced || x.excluded === 'layer' ? undefined : unitKey(x.key);
  const key = exp.unitOf({ headers: x.headers, query: queryOf(x.target), clientIp: x.clientIp });
  if (key === undefined) return '';
  const layer = exp.audience?.layer;
  return layer && !inSlice(layer, key) ? undefined : unitKey(key);
}

/** Longest sticky key stored as is; longer ones (a 16 KiB header) are stored as their sha1. */
export const MAX_UNIT_LENGTH = 128;

/**
 * The unit as stored: the sticky key, or its sha1 when it is longer than MAX_UNIT_LENGTH, so a client
 * sending huge keys can't make the bounded maps (or the store) hold megabytes.
 * @example unitKey('u-1') // 'u-1'
 */
export function unitKey(key: string): string {
  return key.length <= MAX_UNIT_LENGTH ? key : `sha1:${createHash('sha1').update(key).digest('base64')}`;
}

/** What a request offers to find its unit (ExchangeInfo has it all). */
export interface UnitSource {
  readonly key: string;
  readonly forced: boolean;
  /** Set when the request was outside its route's split (ExchangeInfo.excluded). */
  readonly excluded?: Exclusion | undefined;
  readonly headers: IncomingHttpHeaders;
  /** Path and query. */
  readonly target: string;
  readonly clientIp: string;
}

/**
 * The path of a request target, without its query.
 * @example pathOf('/a?b=1') // '/a'
 */
export function pathOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? target : target.slice(0, q);
}

function queryOf(target: string): string {
  const q = target.indexOf('?');
  return q === -1 ? '' : target.slice(q + 1);
}

// One string per weight layout (the cell replaces its ranges object on every change).
const weightStrings = new WeakMap<ArmRanges, string>();

/** The live percents of every arm, control first: "90,10". */
function weightsOf(route: CompiledRoute): string {
  const ranges = route.weights.ranges;
  let s = weightStrings.get(ranges);
  if (s === undefined) {
    const variants = route.weights.percents;
    const control = Math.max(0, 100 - variants.reduce((a, b) => a + b, 0));
    s = [control, ...variants].map((p) => +p.toFixed(4)).join(',');
    weightStrings.set(ranges, s);
  }
  return s;
}
