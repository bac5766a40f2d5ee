/**
 * The guardrails decision engine of one route. It consumes per-second, per-arm sufficient statistics
 * (ArmSecond — from its own collector, or summed over a fleet's replicas) and, evaluated once a
 * second, decides rollback / pause / alert / step / hold / promote for each variant against the
 * concurrent control. Pure: no timers, no I/O, no clock — every call takes `now` — so it runs the same
 * in the proxy, in unit tests on a fake clock and in the decisions bench on a virtual one. Its
 * decisions are a function of the summed statistics alone.
 */
import type { RawGuardrails, RawRollout } from '../config/schema.js';
import { emptyArmSecond, type ArmSecond } from './arm-second.js';
import { detectorLogE } from './rate-test.js';
import {
  advanceDetector,
  burnEvidence,
  DEFAULT_BURN_RULES,
  DETECTOR_ARL,
  windowSeconds,
  type BurnRule,
  type DetectorState,
} from './burn.js';
import { createCollector, type CollectedRequest, type Collector } from './collector.js';
import { decide } from './decide.js';
import { addSecond, startStep } from './engine-evidence.js';
import { buildEvidence } from './evidence.js';
import { applyManual, type Refusal } from './manual.js';
import { reconcile } from './reconcile.js';
import type { BurnEvidence, Decision, Evidence, ManualAction, ManualOptions, Phase, RouteState } from './types.js';
import { CONTROL, createVariant, restartsLeft, setPercent, snapshotVariant, type EngineContext, type VariantRt } from './variant.js';
import { createArmWindows, type ArmWindows } from './windows.js';

/** What the engine needs from the route's config. */
export interface EngineConfig {
  guardrails: RawGuardrails;
  rollout?: RawRollout | undefined;
  /** Variant arm names in arm order (everything but 'control'). */
  variants: string[];
  /** The route's `split` (variant → percent); used without a rollout. */
  splitPercent: Record<string, number>;
  /** Burn-rate rules; defaults to DEFAULT_BURN_RULES. */
  burnRules?: readonly BurnRule[];
}

/** The engine of one route. */
export interface Engine {
  /** Records one finished request into this process's collector. Never throws. */
  record(r: CollectedRequest): void;
  /** This process's completed seconds before `now`, taken out of the collector (a fleet publishes them). */
  takeSeconds(now: number): { sec: number; arms: Record<string, ArmSecond> }[];
  /** Adds one second of (summed) statistics; unknown arms are ignored. */
  recordSecond(sec: number, arms: Readonly<Record<string, ArmSecond>>): void;
  /** Applies the collector's seconds up to now (the current one included), then decides; call once a second. */
  evaluate(now: number): Decision[];
  /** Manual action on `opts.arm`, or on every variant; refusals say why nothing changed. */
  manual(action: ManualAction, now: number, opts?: ManualOptions): { decisions: Decision[]; refused: Refusal[] };
  percent(arm: string): number;
  /**
   * Another owner of the weights (the bandit, experiments/bandit.ts) set them: the engine adopts them
   * for every variant it has not rolled back, so what it reports and re-applies after a decision is
   * what is served. Its tests read the shares each second actually had, so they hold at any weight.
   */
  follow(percents: Readonly<Record<string, number>>): void;
  /** A variant's phase (undefined for control or an unknown arm). */
  phase(arm: string): Phase | undefined;
  weights(): Record<string, number>;
  inspect(arm: string, now: number): Evidence | undefined;
  state(): RouteState;
}

const EMPTY = emptyArmSecond();

/**
 * Creates the engine for `route`, optionally resuming `restored` (a rolled-back variant stays rolled
 * back; a rollout resumes at its step with its evidence; a changed plan is clamped and recorded).
 * @example
 * const engine = createEngine('checkout', { guardrails, rollout, variants: ['v2'], splitPercent: {} }, saved);
 * engine.record({ arm: 'v2', key, client, bad: false, slow: false, upstreamMs: 12, at: Date.now() });
 * for (const d of engine.evaluate(Date.now())) log(d.reason);
 */
export function createEngine(route: string, cfg: EngineConfig, restored?: RouteState | unknown, now = Date.now()): Engine {
  const saved = asState(restored);
  const ctx = createContext(route, cfg, saved);
  const variants: VariantRt[] = cfg.variants.map((arm) =>
    createVariant(
      ctx,
      arm,
      saved?.variants.find((s) => s.arm === arm),
    ),
  );
  const byArm = new Map(variants.map((v) => [v.arm, v]));
  const pending: Decision[] = saved ? variants.flatMap((v) => reconcile(ctx, v, now) ?? []) : [];
  const collector: Collector = createCollector({ keyCap: cfg.guardrails.keyCap, clientCap: cfg.guardrails.clientCap });
  const detectors = new Map<string, DetectorState>(
    ctx.rules.map((r) => [
      r.name,
      { logG: [...(saved?.detectors?.[r.name]?.logG ?? [])], firing: saved?.detectors?.[r.name]?.firing ?? false },
    ]),
  );
  let since: number | null = saved?.since ?? null;

  const recordSecond = (sec: number, arms: Readonly<Record<string, ArmSecond>>) => {
    let n = 0;
    let k = 0;
    for (const [arm, w] of ctx.windows) {
      const s = arms[arm];
      if (!s) continue;
      w.add(sec, s.exposure, s.badObs, s.slowObs, s.requests - s.exposure);
      n += s.exposure;
      k += s.badObs;
    }
    if (n > 0) {
      since ??= sec * 1000;
      for (const r of ctx.rules) {
        const d = detectors.get(r.name)!;
        // A burst (many units failing in one second) counts as at most a few times what the rule
        // allows per second: capping can only lower the likelihood ratio, so the bound still holds,
        // and correlated errors cannot pose as a sustained burn.
        const cap = Math.max(2, Math.ceil(3 * n * r.factor * ctx.budget));
        d.logG = advanceDetector(d, r, ctx.budget, n, Math.min(k, cap));
      }
    }
    const c = arms[CONTROL] ?? EMPTY;
    for (const v of variants) {
      if (v.phase === 'rolled-back') continue;
      const vs = arms[v.arm] ?? EMPTY;
      if (vs.requests + c.requests === 0) continue;
      if (v.ev.since === null) startStep(v.ev, Math.max(0, v.stepIndex), restartsLeft(ctx, v), sec * 1000);
      addSecond(v.ev, ctx.tolerance, vs, c, sec);
    }
  };

  const burnFor = (v: VariantRt, now: number): BurnEvidence[] =>
    ctx.rules.map((r) => {
      const long = Math.round(r.longMs / 1000);
      const short = Math.round(r.shortMs / 1000);
      const sum = (len: number) => {
        const t = { requests: 0, bad: 0, slow: 0, capped: 0 };
        for (const w of ctx.windows.values()) {
          const x = w.totals(len);
          t.requests += x.requests;
          t.bad += x.bad;
          t.slow += x.slow;
          t.capped += x.capped;
        }
        return t;
      };
      return burnEvidence(
        r,
        ctx.budget,
        { long: sum(long), short: sum(short) },
        ctx.windows.get(v.arm)!.totals(long),
        ctx.windows.get(CONTROL)!.totals(long),
        detectors.get(r.name)!,
        since === null ? 0 : now - since,
      );
    });

  const servicePause = (now: number): Decision[] => {
    const probe = variants[0];
    if (!probe) return [];
    // Cheap pre-check: no rule can fire (or stop firing) while its detector is under threshold.
    if (ctx.rules.every((r) => !detectors.get(r.name)!.firing && detectorLogE(detectors.get(r.name)!.logG) < ctx.detectorLogThreshold))
      return [];
    const readings = burnFor(probe, now);
    const rising = readings.find((b) => b.firing && !detectors.get(b.rule)!.firing);
    for (const b of readings) detectors.get(b.rule)!.firing = b.firing;
    if (!rising) return [];
    const dryRun = ctx.guardrails.onBreach === 'alert';
    const out: Decision[] = [];
    for (const v of variants) {
      if (v.phase === 'rolled-back' || v.phase === 'paused' || v.phase === 'promoted') continue;
      if (!dryRun) v.phase = 'paused';
      const evidence = buildEvidence(ctx, v, now, burnFor(v, now));
      const b = evidence.burn.find((x) => x.rule === rising.rule)!;
      out.push({
        at: now,
        route,
        arm: v.arm,
        action: dryRun ? 'alert' : 'pause',
        fromPercent: v.percent,
        toPercent: v.percent,
        rule: 'burn-rate-service',
        reason:
          `the whole service burns its error budget (${(b.budget * 100).toPrecision(3)}%) ${b.pooledLong?.toPrecision(3)}× over ${Math.round(b.longMs / 60000)}m and ${b.pooledShort?.toPrecision(3)}× over ${Math.round(b.shortMs / 60000)}m ` +
          `(threshold ${b.factor}×; control ${b.controlLong?.toPrecision(3) ?? 'n/a'}×, ${v.arm} ${b.variantLong?.toPrecision(3) ?? 'n/a'}×), detector e-value ≥ ${DETECTOR_ARL.toExponential(0)}; ` +
          `${v.arm} is not worse than control (ratio e-value ${Math.exp(Math.min(evidence.bad.logE, 700)).toPrecision(3)} < ${(1 / ctx.alpha).toPrecision(3)}), so it is not blamed: ` +
          `${dryRun ? `alert only, weight stays ${v.percent}%` : `rollout paused at ${v.percent}%`}.`,
        severity: 'warn',
        evidence,
      });
    }
    return out;
  };

  return {
    record(r) {
      if (ctx.windows.has(r.arm) && Number.isFinite(r.at)) collector.record(r);
    },
    takeSeconds(now) {
      return collector.drain(Math.floor(now / 1000));
    },
    // evaluate applies the current second too (what is left of it goes to the next one), so a
    // decision never waits a second for its own evidence.
    recordSecond,
    evaluate(now) {
      for (const { sec, arms } of collector.drain(Math.floor(now / 1000) + 1)) recordSecond(sec, arms);
      const sec = Math.floor(now / 1000);
      for (const w of ctx.windows.values()) w.advance(sec - 1);
      const out = pending.splice(0);
      for (const v of variants) {
        const d = decide(ctx, v, now, () => burnFor(v, now));
        if (d) out.push(d);
      }
      out.push(...servicePause(now));
      return out;
    },
    manual(action, now, opts = {}) {
      const targets = opts.arm === undefined ? variants : variants.filter((v) => v.arm === opts.arm);
      const decisions: Decision[] = [];
      const refused: Refusal[] = [];
      for (const v of targets) {
        const d = applyManual(ctx, v, action, now, opts);
        if ('action' in d) decisions.push(d);
        else refused.push(d);
      }
      return { decisions, refused };
    },
    percent(arm) {
      if (arm === CONTROL) return Math.max(0, 100 - variants.reduce((s, v) => s + v.percent, 0));
      return byArm.get(arm)?.percent ?? 0;
    },
    follow(percents) {
      for (const v of variants) {
        const p = percents[v.arm];
        if (v.phase !== 'rolled-back' && p !== undefined && Number.isFinite(p)) setPercent(v, Math.min(Math.max(0, p), ctx.lane));
      }
    },
    phase: (arm) => byArm.get(arm)?.phase,
    weights() {
      return Object.fromEntries(variants.map((v) => [v.arm, v.percent]));
    },
    inspect(arm, now) {
      const v = byArm.get(arm);
      return v ? buildEvidence(ctx, v, now, burnFor(v, now)) : undefined;
    },
    state() {
      return {
        v: 2,
        route,
        variants: variants.map(snapshotVariant),
        windows: Object.fromEntries([...ctx.windows].map(([arm, w]) => [arm, w.snapshot()])),
        detectors: Object.fromEntries([...detectors].map(([name, d]) => [name, { logG: [...d.logG], firing: d.firing }])),
        since,
      };
    },
  };
}

/** A stored state in the current shape; a v1 state keeps each variant's place with fresh evidence. */
function asState(x: unknown): RouteState | undefined {
  if (typeof x !== 'object' || x === null) return undefined;
  const o = x as { v?: number; variants?: unknown };
  if (!Array.isArray(o.variants)) return undefined;
  const okVariant = (v: unknown) => typeof v === 'object' && v !== null && typeof (v as { arm?: unknown }).arm === 'string';
  if (o.v === 2) {
    const st = x as RouteState;
    return {
      ...st,
      variants: st.variants.filter(okVariant),
      windows: st.windows ?? {},
      detectors: st.detectors ?? {},
      since: st.since ?? null,
    };
  }
  const variants = (o.variants as Record<string, unknown>[]).flatMap((v) =>
    typeof v?.arm === 'string' && typeof v.phase === 'string'
      ? [
          {
            arm: v.arm,
            phase: v.phase as RouteState['variants'][number]['phase'],
            stepIndex: Number(v.stepIndex ?? -1),
            stepStartedAt: typeof v.stepStartedAt === 'number' ? v.stepStartedAt : null,
            percent: Number(v.percent ?? 0),
            breach: typeof v.breach === 'string' ? v.breach : null,
            evidence: undefined as unknown as RouteState['variants'][number]['evidence'],
          },
        ]
      : [],
  );
  return { v: 2, route: String((x as { route?: unknown }).route ?? ''), variants, windows: {}, detectors: {}, since: null };
}

function createContext(route: string, cfg: EngineConfig, restored?: RouteState): EngineContext {
  const g = cfg.guardrails;
  const slowMs = g.slo.latency?.p99 ?? null;
  const alpha = g.alpha / (Math.max(1, cfg.variants.length) * (slowMs !== null ? 2 : 1));
  const rules = cfg.burnRules ?? DEFAULT_BURN_RULES;
  const lengths = windowSeconds(rules);
  const windows = new Map<string, ArmWindows>();
  for (const arm of [CONTROL, ...cfg.variants]) windows.set(arm, createArmWindows(lengths, restored?.windows?.[arm]));
  const budget = Math.max(0, 1 - g.slo.availability / 100);
  return {
    route,
    guardrails: g,
    rollout: cfg.rollout,
    variants: cfg.variants,
    splitPercent: cfg.splitPercent,
    lane: cfg.variants.length > 0 ? 100 / cfg.variants.length : 100,
    holdback: cfg.rollout?.holdback ?? 0,
    holdbackMs: cfg.rollout?.holdbackFor ?? null,
    tolerance: g.tolerance,
    alpha,
    logThreshold: Math.log(1 / alpha),
    budget,
    rareBelow: budget / 10,
    slowMs,
    rules,
    detectorLogThreshold: Math.log(DETECTOR_ARL),
    windows,
    maxRestarts: cfg.rollout ? cfg.rollout.steps.length : 1,
  };
}
