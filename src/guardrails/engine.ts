/**
 * The guardrails decision engine of one route: fed every routed request (or per-second buckets),
 * evaluated once a second, it decides rollback / pause / alert / step / hold / promote for each variant
 * against the control. Pure: no timers, no I/O, no clock — every call takes `now` — so it runs the
 * same in the proxy, in unit tests on a fake clock and in the decisions bench on a virtual one.
 *
 * Per event: window counters + O(grid) log-likelihood additions for bad/slow events only (good
 * requests cost a few increments). Per evaluation: O(windows + alternatives) per variant.
 */
import type { RawGuardrails, RawRollout } from '../config/schema.js';
import { DEFAULT_BURN_RULES, windowSeconds, type BurnRule } from './burn.js';
import { decide } from './decide.js';
import { buildEvidence } from './evidence.js';
import { createKeyCap, keyHash } from './key-cap.js';
import { applyManual } from './manual.js';
import type { ArmEvent, Decision, Evidence, ManualAction, RouteState } from './types.js';
import { CONTROL, MIN_BAD_KEYS, createVariant, noteBadKey, snapshotVariant, type EngineContext, type VariantRt } from './variant.js';
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
  /** Records one finished request. Never throws; unknown arms and bad shares are ignored. */
  record(ev: ArmEvent): void;
  /**
   * Records one arm's second at once: `requests` requests of which `bad` bad and `slow` slow, all at
   * `share`. Same as that many `record` calls with distinct keys (no key cap applies).
   */
  recordBucket(arm: string, at: number, requests: number, bad: number, share: number, slow?: number): void;
  /** Decides; call once a second. At most one decision per variant, only on a state change. */
  evaluate(now: number): Decision[];
  /** Manual action on `opts.arm`, or on every variant when omitted; one decision per variant changed. */
  manual(action: ManualAction, now: number, opts?: { arm?: string; actor?: string }): Decision[];
  /** The weight (0–100) the proxy should route to `arm` now; control gets the rest. */
  percent(arm: string): number;
  /** Every variant's weight, in variant order. */
  weights(): Record<string, number>;
  /** The live numbers for `arm` (admin API, dashboard); undefined for an unknown variant. */
  inspect(arm: string, now: number): Evidence | undefined;
  /** JSON-serializable state; pass it back to createEngine after a restart. */
  state(): RouteState;
}

/**
 * Creates the engine for `route`, optionally resuming `restored` (a rolled-back variant stays rolled
 * back; a rollout resumes at its step with its evidence).
 * @example
 * const engine = createEngine('checkout', { guardrails, rollout, variants: ['v2'], splitPercent: {} }, saved);
 * engine.record({ at, arm: 'v2', bad: false, slow: false, key, share: 0.01, latencyMs: 12 });
 * for (const d of engine.evaluate(Date.now())) log(d.reason);
 */
export function createEngine(route: string, cfg: EngineConfig, restored?: RouteState): Engine {
  const ctx = createContext(route, cfg, restored);
  const variants: VariantRt[] = cfg.variants.map((arm) =>
    createVariant(
      ctx,
      arm,
      restored?.variants.find((s) => s.arm === arm),
    ),
  );
  const byArm = new Map(variants.map((v) => [v.arm, v]));
  const caps = createKeyCap(cfg.guardrails.keyCap, restored?.keyCaps);
  for (const v of variants) ctx.shares[v.arm] ??= v.percent / 100;
  ctx.shares[CONTROL] ??= Math.max(0, 1 - variants.reduce((s, v) => s + v.percent, 0) / 100);

  /** Share of the variant between variant and control when `arm` saw an event at `share`. */
  const pairShare = (v: VariantRt, arm: string, share: number): number => {
    if (arm === CONTROL) {
      const wv = ctx.shares[v.arm] ?? 0;
      return wv + share > 0 ? wv / (wv + share) : 0;
    }
    // Control gets what the variants leave (nested ranges), so the pair is exact for two arms.
    let others = 0;
    for (const u of variants) if (u !== v) others += ctx.shares[u.arm] ?? 0;
    const wc = Math.max(0, 1 - share - others);
    return share + wc > 0 ? share / (share + wc) : 0;
  };

  const feed = (arm: string, share: number, requests: number, bad: number, slow: number, capped: number, hash?: number) => {
    if (arm === CONTROL) {
      for (const v of variants) {
        if (v.phase === 'rolled-back') continue;
        count(v.control, requests, bad, slow, capped);
        if (bad === 0 && slow === 0) continue;
        const s = pairShare(v, arm, share);
        if (bad > 0) v.bad.add(s, 0, bad);
        if (slow > 0) v.slow?.add(s, 0, slow);
      }
      return;
    }
    const v = byArm.get(arm);
    if (!v || v.phase === 'rolled-back') return;
    count(v.variant, requests, bad, slow, capped);
    if (bad === 0 && slow === 0) return;
    for (let i = 0; i < bad + slow && v.badKeys.length < MIN_BAD_KEYS; i++) noteBadKey(v, hash);
    const s = pairShare(v, arm, share);
    if (bad > 0) v.bad.add(s, bad, 0);
    if (slow > 0) v.slow?.add(s, slow, 0);
  };

  const valid = (arm: string, at: number, share: number) => ctx.windows.has(arm) && Number.isFinite(at) && share >= 0 && share <= 1;
  // A rolled-back variant's late responses still carry its old share; they must not skew the others.
  const noteShare = (arm: string, share: number) => {
    if (byArm.get(arm)?.phase !== 'rolled-back') ctx.shares[arm] = share;
  };

  return {
    record(ev) {
      if (!valid(ev.arm, ev.at, ev.share)) return;
      noteShare(ev.arm, ev.share);
      let bad = ev.bad ? 1 : 0;
      let capped = 0;
      const slow = ctx.testSlow && ev.slow ? 1 : 0;
      const hash = bad || slow ? keyHash(ev.key) : 0;
      if (bad && !caps.admit(hash, ev.at)) [bad, capped] = [0, 1];
      ctx.windows.get(ev.arm)!.add(Math.floor(ev.at / 1000), 1, bad, slow, capped);
      feed(ev.arm, ev.share, 1, bad, slow, capped, hash);
    },
    recordBucket(arm, at, requests, bad, share, slow = 0) {
      if (!valid(arm, at, share) || !(requests > 0)) return;
      noteShare(arm, share);
      const s = ctx.testSlow ? slow : 0;
      ctx.windows.get(arm)!.add(Math.floor(at / 1000), requests, bad, s, 0);
      feed(arm, share, requests, bad, s, 0);
    },
    evaluate(now) {
      const sec = Math.floor(now / 1000);
      for (const w of ctx.windows.values()) w.advance(sec);
      const out: Decision[] = [];
      for (const v of variants) {
        const d = decide(ctx, variants, v, now);
        if (d) out.push(d);
      }
      return out;
    },
    manual(action, now, opts = {}) {
      const targets = opts.arm === undefined ? variants : variants.filter((v) => v.arm === opts.arm);
      const out: Decision[] = [];
      for (const v of targets) {
        const d = applyManual(ctx, variants, v, action, now, opts.actor);
        if (d) out.push(d);
      }
      return out;
    },
    percent(arm) {
      if (arm === CONTROL) return Math.max(0, 100 - variants.reduce((s, v) => s + v.percent, 0));
      return byArm.get(arm)?.percent ?? 0;
    },
    weights() {
      return Object.fromEntries(variants.map((v) => [v.arm, v.percent]));
    },
    inspect(arm, now) {
      const v = byArm.get(arm);
      return v ? buildEvidence(ctx, v, now) : undefined;
    },
    state() {
      return {
        v: 1,
        route,
        variants: variants.map(snapshotVariant),
        shares: { ...ctx.shares },
        windows: Object.fromEntries([...ctx.windows].map(([arm, w]) => [arm, w.snapshot()])),
        keyCaps: caps.snapshot(),
      };
    },
  };
}

function createContext(route: string, cfg: EngineConfig, restored?: RouteState): EngineContext {
  const g = cfg.guardrails;
  const testSlow = g.slo.latency?.p99 !== undefined;
  const alpha = g.alpha / (Math.max(1, cfg.variants.length) * (testSlow ? 2 : 1));
  const rules = cfg.burnRules ?? DEFAULT_BURN_RULES;
  const lengths = windowSeconds(rules);
  const windows = new Map<string, ArmWindows>();
  for (const arm of [CONTROL, ...cfg.variants]) windows.set(arm, createArmWindows(lengths, restored?.windows[arm]));
  return {
    route,
    guardrails: g,
    rollout: cfg.rollout,
    variants: cfg.variants,
    splitPercent: cfg.splitPercent,
    lane: cfg.variants.length > 0 ? 100 / cfg.variants.length : 100,
    tolerance: g.tolerance,
    alpha,
    logThreshold: Math.log(1 / alpha),
    budget: Math.max(0, 1 - g.slo.availability / 100),
    slowBudget: 0.01,
    testSlow,
    rules,
    windows,
    shares: { ...(restored?.shares ?? {}) },
  };
}

function count(
  c: { requests: number; bad: number; slow: number; capped: number },
  requests: number,
  bad: number,
  slow: number,
  capped: number,
): void {
  c.requests += requests;
  c.bad += bad;
  c.slow += slow;
  c.capped += capped;
}
