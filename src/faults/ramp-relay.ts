/**
 * The ramp in a `workers: N` group: ONE judge, the primary (it serves no traffic). Each worker files
 * its slice/control requests, exposed units, goal events and injected failures of the step in force
 * into a bounded relay (`createRelay`) and sends what it holds once a second (`ramp-evidence`); the
 * primary checks each batch (`parseRampBatch`) and adds it to the step's evidence (`createIntake`)
 * only if it is for the ramp and step it is judging, so a worker's late second of an old step never
 * counts in the new one. The primary sends the step in force back (`RampShared`, the `ramp`
 * message), which every worker applies at once (ramp-runtime.ts `adopt`).
 */
import type { StepEvidence } from './ramp-evidence.js';

/** What the primary tells its workers per route: the ramp and step in force (null: inject nothing). */
export interface RampShared {
  readonly identity: string;
  readonly step: number;
  readonly level: number;
}

/** One worker's evidence of one route's step since its last batch. */
export interface RampBatch {
  readonly route: string;
  readonly identity: string;
  readonly step: number;
  /** Every request of the route (the budget's denominator) and the injected failures (its numerator). */
  readonly routeRequests: number;
  readonly injected: number;
  /** Flat [sec, slice requests, control requests, slice bad, control bad] × n. */
  readonly seconds: readonly number[];
  /** [unit, 1: slice / 0: control]: units first answered in this step on this worker. */
  readonly exposed: readonly (readonly [string, 0 | 1])[];
  /** [unit, value, 1: a conversion (once per unit)]. */
  readonly goals: readonly (readonly [string, number, 0 | 1])[];
  /** Entries this worker's relay could not hold (bounded) since its last batch. */
  readonly dropped: number;
}

/** Entries a batch may carry per list; a worker drops (and counts) beyond it, the primary rejects a longer one. */
export const MAX_BATCH_ITEMS = 4096;
/** Units a worker remembers per step (to send each once), as the step evidence's own bound. */
const MAX_UNITS = 100_000;
const MAX_SECONDS = 120;
/** Goals the primary holds for units whose exposure another worker has not sent yet. */
const MAX_PENDING_GOALS = 10_000;

/** A worker's recorder of one step: the evidence sink the ramp observer writes to, and the batch it sends. */
export interface Relay extends Pick<StepEvidence, 'request' | 'expose' | 'goal' | 'injectedFailure'> {
  /** What it holds since the last call, emptied. */
  drain(): Pick<RampBatch, 'seconds' | 'exposed' | 'goals' | 'dropped'> & {
    injected: number;
  };
}

/**
 * @example const r = createRelay(); r.request(true, sec, false); channel.send({ t: 'ramp-evidence', batches: [{ ...r.drain(), route, identity, step, routeRequests }] })
 */
export function createRelay(): Relay {
  const seen = new Set<string>();
  let seconds = new Map<number, [number, number, number, number]>();
  let exposed: [string, 0 | 1][] = [];
  let goals: [string, number, 0 | 1][] = [];
  let injected = 0;
  let dropped = 0;
  return {
    request(slice, sec, bad) {
      let cell = seconds.get(sec);
      if (!cell) {
        if (seconds.size >= MAX_SECONDS) return void dropped++;
        seconds.set(sec, (cell = [0, 0, 0, 0]));
      }
      cell[slice ? 0 : 1]++;
      if (bad) cell[slice ? 2 : 3]++;
    },
    expose(unit, slice) {
      if (seen.has(unit)) return;
      if (seen.size >= MAX_UNITS || exposed.length >= MAX_BATCH_ITEMS) return void dropped++;
      seen.add(unit);
      exposed.push([unit, slice ? 1 : 0]);
    },
    goal(unit, value, once) {
      if (goals.length >= MAX_BATCH_ITEMS) return void dropped++;
      goals.push([unit, value, once ? 1 : 0]);
    },
    injectedFailure(n = 1) {
      injected += n;
    },
    drain() {
      const out = {
        seconds: [...seconds].flatMap(([s, c]) => [s, ...c]),
        exposed,
        goals,
        injected,
        dropped,
      };
      seconds = new Map();
      exposed = [];
      goals = [];
      injected = 0;
      dropped = 0;
      return out;
    },
  };
}

/** The primary's side of one step: batches into `ev`, goals held until their unit's exposure arrives. */
export interface Intake {
  absorb(b: RampBatch): void;
}

/**
 * A unit's request may end on one worker and its goal on another, whose batch can arrive first: its
 * goal waits (bounded) for the exposure instead of being lost.
 * @example const intake = createIntake(ev); intake.absorb(batch)
 */
export function createIntake(ev: StepEvidence, onDrop: () => void): Intake {
  const exposedHere = new Set<string>();
  const pending = new Map<string, [number, boolean][]>();
  let held = 0;
  return {
    absorb(b) {
      const s = b.seconds;
      for (let i = 0; i + 4 < s.length; i += 5) ev.addSecond(s[i]!, s[i + 1]!, s[i + 2]!, s[i + 3]!, s[i + 4]!);
      for (const [unit, slice] of b.exposed) {
        ev.expose(unit, slice === 1);
        exposedHere.add(unit);
        const waiting = pending.get(unit);
        if (!waiting) continue;
        pending.delete(unit);
        held -= waiting.length;
        for (const [value, once] of waiting) ev.goal(unit, value, once);
      }
      for (const [unit, value, once] of b.goals) {
        if (exposedHere.has(unit)) ev.goal(unit, value, once === 1);
        else if (held >= MAX_PENDING_GOALS) onDrop();
        else {
          held++;
          pending.set(unit, [...(pending.get(unit) ?? []), [value, once === 1]]);
        }
      }
      if (b.injected > 0) ev.injectedFailure(b.injected);
    },
  };
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isCount = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;
const isFlag = (x: unknown): x is 0 | 1 => x === 0 || x === 1;
const bounded = (x: unknown): x is unknown[] => Array.isArray(x) && x.length <= MAX_BATCH_ITEMS * 5;

/**
 * A worker's batch, or undefined when `x` is not one (the caller drops and counts it).
 * @example parseRampBatch({ route: 'shop', identity, step: 0, routeRequests: 3, injected: 0, seconds: [], exposed: [], goals: [], dropped: 0 })
 */
export function parseRampBatch(x: unknown): RampBatch | undefined {
  if (!isObj(x) || typeof x.route !== 'string' || typeof x.identity !== 'string') return undefined;
  if (!isCount(x.step) || !isCount(x.routeRequests) || !isCount(x.injected) || !isCount(x.dropped)) return undefined;
  if (!bounded(x.seconds) || x.seconds.length % 5 !== 0 || !x.seconds.every(isCount)) return undefined;
  if (!bounded(x.exposed) || x.exposed.length > MAX_BATCH_ITEMS) return undefined;
  if (!x.exposed.every((e) => Array.isArray(e) && e.length === 2 && typeof e[0] === 'string' && isFlag(e[1]))) return undefined;
  if (!bounded(x.goals) || x.goals.length > MAX_BATCH_ITEMS) return undefined;
  const goalOk = (g: unknown) =>
    Array.isArray(g) && g.length === 3 && typeof g[0] === 'string' && typeof g[1] === 'number' && Number.isFinite(g[1]) && isFlag(g[2]);
  if (!x.goals.every(goalOk)) return undefined;
  return x as unknown as RampBatch;
}

/**
 * One route's step from the primary, or undefined when `x` is not one (null is "no ramp in force").
 * @example parseRampShared({ identity, step: 1, level: 250 })
 */
export function parseRampShared(x: unknown): RampShared | null | undefined {
  if (x === null) return null;
  if (!isObj(x) || typeof x.identity !== 'string' || !isCount(x.step)) return undefined;
  return typeof x.level === 'number' && Number.isFinite(x.level) && x.level >= 0
    ? { identity: x.identity, step: x.step, level: x.level }
    : undefined;
}
