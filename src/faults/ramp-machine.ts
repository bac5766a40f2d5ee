/**
 * The ramp's step machine, pure (the clock and the judgement are inputs): a step passes after its
 * dwell with enough units and no harm, and the ramp moves to the next level; it ends at the first
 * harm, when the injected-failure budget is spent, when the kill switch is off, or after the last
 * level passes. The end is the breaking point: the last safe and the first harmful level, each with
 * its numbers and the time it took. The state is plain JSON, stored under `ramp:ROUTE`.
 */
import type { StepJudgement } from './ramp-judge.js';

/** Why a ramp ended. */
export type RampEnd = 'harm' | 'budget' | 'killed' | 'completed';

/** One judged step. */
export interface RampStep {
  readonly index: number;
  readonly level: number;
  readonly startedAt: number;
  readonly endedAt: number;
  /** safe: passed; harm: the first harmful level; stopped: ended by the budget or the kill switch. */
  readonly verdict: 'safe' | 'harm' | 'stopped';
  readonly judgement: StepJudgement;
}

/** The stored ramp. */
export interface RampState {
  readonly v: 1;
  readonly identity: string;
  readonly kind: 'delay' | 'abort';
  readonly levels: readonly number[];
  readonly startedAt: number;
  readonly phase: 'running' | 'done';
  /** Index of the step running (or the last one, once done). */
  readonly step: number;
  readonly stepStartedAt: number;
  readonly steps: readonly RampStep[];
  /** Injected failures and the route's requests since the ramp started (the budget's terms). */
  readonly injected: number;
  readonly routeRequests: number;
  readonly end: RampEnd | null;
  readonly endedAt: number | null;
}

/** What a tick changed, for the decision log (undefined: nothing). */
export interface RampTransition {
  readonly action: 'ramp-advance' | 'ramp-done' | 'ramp-stop';
  readonly reason: string;
  readonly step: RampStep;
}

/**
 * A new ramp at its first level.
 * @example startRamp({ identity, kind: 'delay', levels: [100, 250] }, now)
 */
export function startRamp(r: { identity: string; kind: 'delay' | 'abort'; levels: readonly number[] }, now: number): RampState {
  return {
    v: 1,
    identity: r.identity,
    kind: r.kind,
    levels: r.levels,
    startedAt: now,
    phase: 'running',
    step: 0,
    stepStartedAt: now,
    steps: [],
    injected: 0,
    routeRequests: 0,
    end: null,
    endedAt: null,
  };
}

/** The tick's inputs. */
export interface TickInput {
  readonly now: number;
  readonly judgement: StepJudgement;
  readonly dwellMs: number;
  /** Faults are switched off (the kill switch). */
  readonly killed: boolean;
  /** Injected failures and route requests seen since the last tick. */
  readonly injected: number;
  readonly routeRequests: number;
  /** Share (0..1) of the route's error budget the ramp may spend, and the route's 1 − availability. */
  readonly budget: number | undefined;
  readonly errorBudget: number;
}

/**
 * One evaluation: the next state and what happened.
 * @example const { state, transition } = tickRamp(state, { now, judgement, dwellMs: 60_000, killed: false, … })
 */
export function tickRamp(s: RampState, t: TickInput): { state: RampState; transition?: RampTransition } {
  if (s.phase !== 'running') return { state: s };
  const counted: RampState = { ...s, injected: s.injected + t.injected, routeRequests: s.routeRequests + t.routeRequests };
  const level = fmt(s.kind, s.levels[s.step]!);
  const close = (verdict: RampStep['verdict']): RampStep => ({
    index: s.step,
    level: s.levels[s.step]!,
    startedAt: s.stepStartedAt,
    endedAt: t.now,
    verdict,
    judgement: t.judgement,
  });
  const finish = (step: RampStep, end: RampEnd, action: RampTransition['action'], reason: string) => ({
    state: { ...counted, phase: 'done' as const, steps: [...s.steps, step], end, endedAt: t.now },
    transition: { action, reason, step },
  });
  if (t.killed) return finish(close('stopped'), 'killed', 'ramp-stop', `ramp stopped at ${level}: faults switched off (kill switch)`);
  if (t.judgement.harm) return finish(close('harm'), 'harm', 'ramp-done', `breaking point: ${level} harms (${harmOf(t.judgement)})`);
  const allowed = t.budget === undefined ? Infinity : t.budget * t.errorBudget * counted.routeRequests;
  if (counted.injected > allowed)
    return finish(
      close('stopped'),
      'budget',
      'ramp-stop',
      `ramp stopped at ${level}: injected-failure budget spent (${counted.injected} of ${allowed.toFixed(1)} allowed)`,
    );
  if (t.now - s.stepStartedAt < t.dwellMs || !t.judgement.enough) return { state: counted };
  const passed = close('safe');
  if (s.step + 1 >= s.levels.length)
    return finish(passed, 'completed', 'ramp-done', `every level survived; ${level} was the last (no breaking point found)`);
  return {
    state: { ...counted, step: s.step + 1, stepStartedAt: t.now, steps: [...s.steps, passed] },
    transition: { action: 'ramp-advance', reason: `${level} is safe; ramp to ${fmt(s.kind, s.levels[s.step + 1]!)}`, step: passed },
  };
}

/**
 * The breaking point of a ramp: its last safe and first harmful steps (null when none).
 * @example breakingPoint(state) // { lastSafe: { level: 250, … }, firstHarmful: { level: 500, … } }
 */
export function breakingPoint(s: RampState): { lastSafe: RampStep | null; firstHarmful: RampStep | null } {
  const safe = s.steps.filter((x) => x.verdict === 'safe');
  return { lastSafe: safe.at(-1) ?? null, firstHarmful: s.steps.find((x) => x.verdict === 'harm') ?? null };
}

/**
 * A level as people write it: `250ms` or `0.5%`.
 * @example fmt('delay', 250) // '250ms'
 */
export function fmt(kind: 'delay' | 'abort', level: number): string {
  return kind === 'delay' ? `${level}ms` : `${level}%`;
}

function harmOf(j: StepJudgement): string {
  const parts: string[] = [];
  if (j.goal?.harm && j.goal.interval)
    parts.push(
      `goal ${j.goal.name} ${pct(j.goal.relative ?? 0)} vs control, interval [${pct(j.goal.interval[0])}, ${pct(j.goal.interval[1])}]`,
    );
  if (j.vitals?.harm)
    parts.push(`errors ${j.vitals.slice.bad}/${j.vitals.slice.requests} vs control ${j.vitals.control.bad}/${j.vitals.control.requests}`);
  return parts.join('; ');
}

function pct(x: number): string {
  return `${(x * 100).toFixed(1)}%`;
}
