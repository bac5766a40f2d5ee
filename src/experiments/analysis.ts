/**
 * Experiment results from the store's sufficient statistics: per goal and arm the units, mean per
 * unit and its variance; per variant the absolute and relative lift over control with an
 * anytime-valid confidence sequence (the default: safe however often it is read) and, once the
 * planned duration and sample are reached, a fixed-horizon z interval; vital signs per arm; and
 * the diagnostics. Pure: the API and the CLI call it with what they read.
 */
import { csMultiplier, fixedMultiplier, mixtureRho } from '../stats/confidence-sequence.js';
import { interval, lift, moments, type ArmSums } from '../stats/lift.js';
import { comparisonAlpha, type Correction } from '../stats/multiplicity.js';
import { BUCKETS } from '../routing/hash.js';
import type { ExperimentSums, GoalArmSums } from '../storage/experiment-types.js';
import { goalTrafficCheck, leakCheck, srmCheck, type SrmResult } from './diagnostics.js';
import { unexplainedUnits } from './leaks.js';
import type { NullBranchResult } from './null-branch.js';
import type { ExperimentSpec } from './spec.js';

/**
 * Least units per arm before any interval is given: the plug-in variance of a handful of units
 * (all zeros, say) is no estimate at all, and the confidence sequence is only asymptotically valid.
 */
export const MIN_INTERVAL_UNITS = 30;

type Span = [number, number] | null;

/** One variant's lift over control for one goal. */
export interface LiftResult {
  readonly arm: string;
  readonly vs: 'control';
  readonly absolute: number | null;
  readonly relative: number | null;
  readonly sequential: { method: 'asymptotic-cs'; absolute: Span; relative: Span; significant: boolean | null };
  readonly fixed: { method: 'z'; available: boolean; absolute: Span; relative: Span; significant: boolean | null };
}

/** One goal's results. */
export interface GoalResult {
  readonly name: string;
  readonly kind: string;
  readonly route: string | null;
  readonly arms: readonly { arm: string; units: number; mean: number | null; variance: number | null; total: number }[];
  readonly lifts: readonly LiftResult[];
}

/** What GET /experiments.json serves per experiment (EXPERIMENTS-API.md). */
export interface ExperimentResult {
  readonly route: string;
  readonly early: boolean;
  readonly earlyReasons: readonly string[];
  readonly startedAt: string | null;
  readonly durationMs: number;
  readonly config: {
    minDurationMs: number;
    minUnits: number;
    windowMs: number;
    /** The family-wise α; each of the `comparisons` (goals × variants) runs at `comparisonAlpha`. */
    alpha: number;
    correction: Correction;
    comparisons: number;
    comparisonAlpha: number;
  };
  /** Who is in the experiment: targeting rules (`when:`) and the layer slice, in percent of the layer. */
  readonly audience: { readonly targeted: boolean; readonly layer: { name: string; from: number; to: number } | null };
  readonly arms: readonly { arm: string; units: number; weightPercent: number | null }[];
  readonly goals: readonly GoalResult[];
  readonly vitals: readonly {
    arm: string;
    units: number;
    requests: number;
    requestsPerUnit: number | null;
    errors: number;
    errorRate: number | null;
    meanLatencyMs: number | null;
  }[];
  readonly diagnostics: {
    srm: SrmResult;
    leaks: ReturnType<typeof leakCheck>;
    goalTraffic: ReturnType<typeof goalTrafficCheck>;
    /** This replica's live comparison of each variant's answers with control's (null without one). */
    nullBranch: { alarm: boolean; variants: readonly NullBranchResult[] } | null;
  };
  readonly alarms: readonly string[];
  readonly recorder: { droppedExposures: number; droppedEvents: number };
}

/**
 * Analyses one experiment. `weights` are the live percents per arm (control first), when known.
 * @example analyze(spec, await store.experimentSums('product', spec.config.window), { now: Date.now() })
 */
export function analyze(
  spec: ExperimentSpec,
  sums: ExperimentSums,
  opts: {
    now: number;
    weights?: readonly number[];
    recorder?: { droppedExposures: number; droppedEvents: number };
    nullBranch?: readonly NullBranchResult[];
  },
): ExperimentResult {
  const cfg = spec.config;
  const units = new Map(spec.arms.map((a) => [a, 0]));
  for (const r of sums.arms) if (units.has(r.arm)) units.set(r.arm, units.get(r.arm)! + r.units);
  const totalUnits = [...units.values()].reduce((a, b) => a + b, 0);
  const durationMs = sums.startedAt === undefined ? 0 : Math.max(0, opts.now - sums.startedAt);
  const earlyReasons: string[] = [];
  if (durationMs < cfg.minDuration) earlyReasons.push(`ran ${human(durationMs)} of ${human(cfg.minDuration)}`);
  for (const [arm, n] of units) if (n < cfg.minUnits) earlyReasons.push(`${arm} has ${n} of ${cfg.minUnits} units`);
  const early = earlyReasons.length > 0;
  // Every goal × variant is a comparison: each runs at α/m (Bonferroni), so that *some* interval
  // excluding zero by luck stays at α for the whole experiment (stats/multiplicity.ts).
  const comparisons = cfg.goals.length * (spec.arms.length - 1);
  const alpha = comparisonAlpha(cfg.alpha, comparisons, cfg.correction);
  // The confidence sequence is tuned to be tightest at the planned sample (both arms' minUnits).
  const rho = mixtureRho(alpha, 2 * cfg.minUnits);
  const z = fixedMultiplier(alpha);
  const rows = byGoal(sums.goals);

  const goals: GoalResult[] = cfg.goals.map((g, gi) => {
    const armSums = spec.arms.map((arm) => sumsFor(spec.goals[gi]!.kind, units.get(arm)!, rows.get(g.name)?.get(arm)));
    const lifts = spec.arms.slice(1).map((arm, i): LiftResult => {
      const c = armSums[0]!;
      const v = armSums[i + 1]!;
      const l = lift(c, v);
      const enough = c.units >= MIN_INTERVAL_UNITS && v.units >= MIN_INTERVAL_UNITS && l !== undefined;
      const k = csMultiplier(c.units + v.units, rho, alpha);
      const seqAbs = enough ? (interval(l.absolute, l.absoluteSe, k) ?? null) : null;
      const fixedAbs = enough && !early ? (interval(l.absolute, l.absoluteSe, z) ?? null) : null;
      return {
        arm,
        vs: 'control',
        absolute: l?.absolute ?? null,
        relative: l?.relative ?? null,
        sequential: {
          method: 'asymptotic-cs',
          absolute: seqAbs,
          relative: enough ? (interval(l.relative, l.relativeSe, k) ?? null) : null,
          significant: excludesZero(seqAbs),
        },
        fixed: {
          method: 'z',
          available: !early,
          absolute: fixedAbs,
          relative: enough && !early ? (interval(l.relative, l.relativeSe, z) ?? null) : null,
          significant: excludesZero(fixedAbs),
        },
      };
    });
    return {
      name: g.name,
      kind: g.kind,
      route: g.route ?? null,
      arms: spec.arms.map((arm, i) => {
        const m = moments(armSums[i]!);
        return { arm, units: m.units, mean: m.mean ?? null, variance: m.variance ?? null, total: armSums[i]!.sum };
      }),
      lifts,
    };
  });

  const vitals = spec.arms.map((arm) => {
    const n = units.get(arm)!;
    const req = rows.get('$requests')?.get(arm);
    const err = rows.get('$errors')?.get(arm);
    const requests = req?.count ?? 0;
    const errors = err?.count ?? 0;
    return {
      arm,
      units: n,
      requests,
      requestsPerUnit: n > 0 ? requests / n : null,
      errors,
      errorRate: requests > 0 ? errors / requests : null,
      meanLatencyMs: requests > 0 ? (req?.value ?? 0) / requests : null,
    };
  });

  const srm = srmCheck(spec.arms, sums.arms);
  const leaks = leakCheck(unexplainedUnits(spec.arms, sums.exposureSets), totalUnits);
  const audience = audienceOf(spec);
  const layerShare = audience.layer ? (audience.layer.to - audience.layer.from) / 100 : 1;
  const goalTraffic = goalTrafficCheck(sums.goalRequests, audience.targeted, layerShare);
  const nullBranch = opts.nullBranch ? { alarm: opts.nullBranch.some((v) => v.alarm), variants: opts.nullBranch } : null;
  const alarms = [
    srm.alarm ? 'srm' : '',
    leaks.alarm ? 'leaks' : '',
    goalTraffic.alarm ? 'goal-traffic' : '',
    nullBranch?.alarm ? 'null-branch' : '',
  ].filter(Boolean);
  return {
    route: spec.route,
    early,
    earlyReasons,
    startedAt: sums.startedAt === undefined ? null : new Date(sums.startedAt).toISOString(),
    durationMs,
    config: {
      minDurationMs: cfg.minDuration,
      minUnits: cfg.minUnits,
      windowMs: cfg.window,
      alpha: cfg.alpha,
      correction: cfg.correction,
      comparisons,
      comparisonAlpha: alpha,
    },
    audience,
    arms: spec.arms.map((arm, i) => ({ arm, units: units.get(arm)!, weightPercent: opts.weights?.[i] ?? null })),
    goals,
    vitals,
    diagnostics: { srm, leaks, goalTraffic, nullBranch },
    alarms,
    recorder: opts.recorder ?? { droppedExposures: 0, droppedEvents: 0 },
  };
}

function audienceOf(spec: ExperimentSpec): ExperimentResult['audience'] {
  const l = spec.audience?.layer;
  const pct = (b: number) => +((b / BUCKETS) * 100).toFixed(2);
  return { targeted: spec.audience?.targets !== undefined, layer: l ? { name: l.layer, from: pct(l.start), to: pct(l.end) } : null };
}

/** Per-unit sums of one arm: units without an event have y = 0 and only add to the count. */
function sumsFor(kind: string, units: number, row: GoalArmSums | undefined): ArmSums {
  if (!row) return { units, sum: 0, sumSq: 0 };
  if (kind === 'conversion') return { units, sum: row.units, sumSq: row.units };
  if (kind === 'count') return { units, sum: row.count, sumSq: row.countSq };
  return { units, sum: row.value, sumSq: row.valueSq };
}

function byGoal(rows: readonly GoalArmSums[]): Map<string, Map<string, GoalArmSums>> {
  const out = new Map<string, Map<string, GoalArmSums>>();
  for (const r of rows) {
    let m = out.get(r.goal);
    if (!m) out.set(r.goal, (m = new Map()));
    m.set(r.arm, r);
  }
  return out;
}

function excludesZero(span: Span): boolean | null {
  return span === null ? null : span[0] > 0 || span[1] < 0;
}

/** 90s → "1m", 26h → "1d 2h": coarse, for the "early" reasons. */
function human(ms: number): string {
  const d = Math.floor(ms / 86_400_000);
  const h = Math.floor((ms % 86_400_000) / 3_600_000);
  const m = Math.floor((ms % 3_600_000) / 60_000);
  if (d > 0) return h > 0 ? `${d}d ${h}h` : `${d}d`;
  if (h > 0) return m > 0 ? `${h}h ${m}m` : `${h}h`;
  return m > 0 ? `${m}m` : `${Math.floor(ms / 1000)}s`;
}
