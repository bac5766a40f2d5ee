/**
 * What the dashboard shows about each route, as plain JSON-safe data: arms and their live weights,
 * each variant's phase and step, what the step waits for and the guardrail evidence against its
 * threshold, the last decision, and the alarms (guardrail breach, reload error, ejected endpoints,
 * shadow drops). The page renders it once on the server and the event stream sends it again whenever
 * it changes; both read it from here so they never disagree.
 */
import type { ConfigManager } from '../config/manager.js';
import type { GuardrailsRuntime, HoldbackStatus } from '../guardrails/runtime.js';
import type { Evidence } from '../guardrails/types.js';
import type { DecisionRecord } from '../storage/guardrail-types.js';
import type { ArmExemplars, Exemplar } from '../telemetry/exemplars.js';
import { traceHref } from './trace-link.js';

/** One alarm: a stable kind and one sentence. */
export interface Alarm {
  readonly kind: 'guardrail-breach' | 'reload-error' | 'ejected-endpoints' | 'shadow-drops' | 'persistence';
  readonly says: string;
}

/** A decision as the dashboard draws it (a chart marker and a log line); no evidence, `actor` null for the engine. */
export type DecisionMark = Pick<DecisionRecord, 'at' | 'route' | 'arm' | 'action' | 'fromPercent' | 'toPercent' | 'reason'> & {
  readonly actor: string | null;
};

/** One variant's guardrail state, and the numbers its next decision rests on. */
export interface VariantView {
  readonly arm: string;
  readonly phase: string;
  readonly percent: number;
  /** `2/4` (step 2 of 4), or null without a rollout plan. */
  readonly step: string | null;
  readonly verdict: string | null;
  readonly breach: string | null;
  /** The rollout's holdback in words ("5% of units held on control until …", "released …"), or null without one. */
  readonly holdback: string | null;
  /** The same as data: share held on control, its state, when it ends or ended (epoch ms); null without one. */
  readonly holdbackState: HoldbackView | null;
  readonly waiting: readonly { what: string; done: boolean; says: string }[];
  /** Evidence against thresholds: `value` vs `threshold`, one row each. */
  readonly evidence: readonly { name: string; value: number | null; threshold: number | null; over: boolean }[];
}

/** A holdback as the page draws it: `planned` before promotion, `held` after, `released` once let go. */
export interface HoldbackView {
  readonly percent: number;
  readonly state: 'planned' | 'held' | 'released';
  readonly endsAt: number | null;
  readonly releasedAt: number | null;
  readonly blockedBy: string | null;
}

/** One route on the overview. */
export interface RouteView {
  readonly name: string;
  readonly guarded: boolean;
  readonly arms: readonly { name: string; percent: number; upstream: string; endpoints: number; ejected: number }[];
  readonly variants: readonly VariantView[];
  readonly lastDecision: DecisionMark | null;
  readonly alarms: readonly Alarm[];
  /** Per arm, recent bad exchanges and the last minute's slowest, with trace ids (empty before any). */
  readonly exemplars: readonly ArmExemplarsView[];
}

/** One notable exchange as the page draws it; `href` is admin.traceUrl filled with the id, when set. */
export type ExemplarView = Pick<Exemplar, 'at' | 'status' | 'code' | 'ms' | 'method' | 'path' | 'traceId'> & {
  readonly href: string | null;
};

/** One arm's exemplars with their links. */
export type ArmExemplarsView = ArmExemplars<ExemplarView>;

/** The whole overview. */
export interface DashboardModel {
  readonly version: number;
  readonly routes: readonly RouteView[];
  /** Alarms that belong to no single route (a rejected reload, shadow drops, storage). */
  readonly alarms: readonly Alarm[];
}

/** What the model reads. */
export interface ModelSources {
  readonly config: ConfigManager;
  readonly guardrails: GuardrailsRuntime;
  /** Shadow copies dropped so far (queue full, over budget, expired), when mirroring exists. */
  readonly shadowDrops?: () => number;
  /** A route's trace exemplars per arm (telemetry/exemplars.ts), when kept. */
  readonly exemplars?: (route: string, now: number) => ArmExemplars[];
}

const round = (x: number | null | undefined, digits = 4): number | null =>
  x === null || x === undefined || !Number.isFinite(x) ? null : +x.toPrecision(digits);

/**
 * A decision record as a marker.
 * @example toMark(await store.decisions({ limit: 1 })[0])
 */
export function toMark(d: DecisionRecord): DecisionMark {
  return {
    at: d.at,
    route: d.route,
    arm: d.arm,
    action: d.action,
    fromPercent: d.fromPercent,
    toPercent: d.toPercent,
    reason: d.reason,
    actor: d.actor ?? null,
  };
}

function evidenceRows(e: Evidence | undefined): VariantView['evidence'] {
  if (!e) return [];
  const rows: VariantView['evidence'][number][] = [
    { name: 'bad ratio ρ (variant ÷ control)', value: round(e.bad.rhoHat), threshold: round(e.bad.tolerance), over: e.bad.rejects },
    { name: 'bad-ratio evidence ln e', value: round(e.bad.logE), threshold: round(e.bad.logThreshold), over: e.bad.rejects },
  ];
  if (e.latency) {
    rows.push({
      name: 'variant p99 ms',
      value: round(e.latency.variantP99Ms),
      threshold: round(e.latency.thresholdMs),
      over: e.latency.rejects,
    });
  }
  for (const b of e.burn) rows.push({ name: `burn ${b.rule} (× budget)`, value: round(b.pooledLong), threshold: b.factor, over: b.firing });
  return rows;
}

/**
 * The overview of every route in the running config; `recent` is the newest decisions (newest first).
 * @example buildModel({ config, guardrails }, await store.decisions({ limit: 100 }), Date.now())
 */
export function buildModel(src: ModelSources, recent: readonly DecisionRecord[], now: number): DashboardModel {
  const snap = src.config.current();
  const status = new Map(src.guardrails.status().map((s) => [s.route, s]));
  const traceUrl = snap.config.admin.traceUrl;
  const routes = snap.routes.map((route): RouteView => {
    const variantPercents = route.weights.percents;
    const arms = route.arms.map((arm, i) => {
      const eps = arm.upstream.endpoints;
      return {
        name: arm.name,
        percent: i === 0 ? 100 - variantPercents.reduce((a, b) => a + b, 0) : (variantPercents[i - 1] ?? 0),
        upstream: arm.upstream.name,
        endpoints: eps.length,
        ejected: eps.filter((ep) => ep.ejectedUntil > now).length,
      };
    });
    const st = status.get(route.name);
    const variants = (st?.variants ?? []).map(
      (v): VariantView => ({
        arm: v.arm,
        phase: v.phase,
        percent: v.percent,
        step: v.steps && v.stepIndex >= 0 ? `${v.stepIndex + 1}/${v.steps.length}` : null,
        verdict: v.evidence?.verdict ?? null,
        breach: v.breach,
        holdback: holdbackText(v.holdback),
        holdbackState: holdbackView(v.holdback),
        waiting: (v.evidence?.waiting ?? []).map((w) => ({ what: w.what, done: w.done, says: w.says })),
        evidence: evidenceRows(v.evidence),
      }),
    );
    const alarms: Alarm[] = [];
    for (const v of variants) {
      if (v.breach || v.verdict === 'breaching')
        alarms.push({ kind: 'guardrail-breach', says: `${v.arm}: ${v.breach ?? 'evidence breaching'}` });
    }
    for (const a of arms) {
      if (a.ejected > 0)
        alarms.push({ kind: 'ejected-endpoints', says: `${a.upstream}: ${a.ejected} of ${a.endpoints} endpoints ejected` });
    }
    const last = recent.find((d) => d.route === route.name);
    const exemplars = (src.exemplars?.(route.name, now) ?? []).map((a) => exemplarsView(a, traceUrl));
    return { name: route.name, guarded: st !== undefined, arms, variants, lastDecision: last ? toMark(last) : null, alarms, exemplars };
  });
  const alarms: Alarm[] = [];
  const reload = src.config.lastReload();
  if (reload && !reload.ok) {
    alarms.push({ kind: 'reload-error', says: `reload at ${reload.at.toISOString()} rejected: ${reload.errors.slice(0, 3).join('; ')}` });
  }
  const drops = src.shadowDrops?.() ?? 0;
  if (drops > 0)
    alarms.push({ kind: 'shadow-drops', says: `${drops} shadow copies dropped since start (queue full, over budget or expired)` });
  const health = src.guardrails.health();
  if (health.degraded) alarms.push({ kind: 'persistence', says: 'guardrail state is not being stored (see /readyz)' });
  return { version: snap.version, routes, alarms };
}

/** A variant's holdback for the overview, in words. */
function holdbackText(h: HoldbackStatus | null): string | null {
  if (!h) return null;
  const iso = (t: number) => new Date(t).toISOString();
  if (h.releasedAt !== null) return `holdback of ${h.percent}% released ${iso(h.releasedAt)}`;
  if (!h.active) return `${h.percent}% of units will be held on control after promotion`;
  const until = h.endsAt === null ? 'until promoted again' : `until ${iso(h.endsAt)}`;
  return `${h.percent}% of units held on control ${until}${h.blockedBy ? ` (release blocked: ${h.blockedBy})` : ''}`;
}

/** A variant's holdback as data for the page. */
function holdbackView(h: HoldbackStatus | null): HoldbackView | null {
  if (!h) return null;
  const state = h.releasedAt !== null ? 'released' : h.active ? 'held' : 'planned';
  return { percent: h.percent, state, endsAt: h.endsAt, releasedAt: h.releasedAt, blockedBy: h.blockedBy };
}

/** An arm's exemplars with their trace links (trace-link.ts: only a 32-hex id is substituted). */
function exemplarsView(a: ArmExemplars, traceUrl: string | undefined): ArmExemplarsView {
  const view = (e: Exemplar): ExemplarView => ({
    at: e.at,
    status: e.status,
    code: e.code,
    ms: e.ms,
    method: e.method,
    path: e.path,
    traceId: e.traceId,
    href: e.traceId === null ? null : (traceHref(traceUrl, e.traceId) ?? null),
  });
  return { arm: a.arm, errors: a.errors.map(view), slowest: a.slowest.map(view) };
}
