/**
 * The checks that look across the config: arms → upstreams, split → arms, lanes, tokens, listen
 * collisions, and routes an earlier one shadows. They run even when per-field checks failed
 * (ConfigSchema passes `when`), so one `fieldlab validate` reports every problem at once instead of
 * in rounds; a part that failed its own check holds what the user wrote, so each check here first
 * makes sure the part it reads has the right shape, and stays silent otherwise.
 */
import type { z } from 'zod';
import { isLoopback } from '../net/ip.js';
import type { MatchSpec } from '../routing/route-table.js';
import { covers } from './route-shadowing.js';
import { checkExperimentRoutes } from './schema-experiment.js';
import { forceIssue, type RawForce } from './schema-force.js';
import { suggest } from './suggest.js';
import { checkLayers } from './schema-targeting.js';
import { holdbackIssue } from './schema-guardrails.js';
import { checkFaultArms } from './schema-fault.js';
import { checkRampGoal } from './schema-fault-ramp.js';

type Path = (string | number)[];
type Report = (path: Path, message: string) => void;
type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const isListen = (v: unknown): v is { host: string; port: number } => isObj(v) && typeof v.port === 'number' && typeof v.host === 'string';
/** A force source that passed its own check (otherwise its error says enough). */
const FORCE_SOURCE = /^(?:header|cookie):[^\s:]+$/;
const isNum = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Adds an issue for each cross-reference problem of a (possibly partly invalid) parsed config.
 * @example ConfigSchema.superRefine(checkReferences, { when: (p) => isObj(p.value) })
 */
export function checkReferences(cfg: unknown, ctx: z.RefinementCtx): void {
  if (!isObj(cfg)) return;
  const report: Report = (path, message) => ctx.addIssue({ code: 'custom', path, message });
  checkAdmin(cfg, report);
  const upstreams = isObj(cfg.upstreams) ? Object.keys(cfg.upstreams) : undefined;
  const routes = Array.isArray(cfg.routes) ? cfg.routes : [];
  const seen = new Set<string>();
  routes.forEach((route, i) => {
    if (!isObj(route)) return;
    if (typeof route.name === 'string') {
      if (seen.has(route.name)) report(['routes', i, 'name'], `duplicate route name "${route.name}"`);
      seen.add(route.name);
    }
    checkRoute(route, (p, m) => report(['routes', i, ...p], m), upstreams);
    // An unlocked QA override on a proxy reachable beyond loopback (the force block checked its own shape).
    const force = route.force;
    const source = typeof force === 'string' ? force : isObj(force) ? force.from : undefined;
    if (isListen(cfg.listen) && typeof source === 'string' && FORCE_SOURCE.test(source)) {
      const unlocked = forceIssue(force as RawForce, cfg.listen.host);
      if (unlocked) report(['routes', i, 'force'], unlocked);
    }
  });
  checkShadowing(routes, report);
  checkLayers(cfg, report, suggest);
  // Goals naming a route: only routes and goals that passed their own checks take part (indices kept).
  checkExperimentRoutes(
    routes.map((r) => {
      const experiment = isObj(r) && isObj(r.experiment) && Array.isArray(r.experiment.goals) ? r.experiment : undefined;
      const goals = (experiment?.goals as unknown[] | undefined)?.map((g) => (isObj(g) && typeof g.route === 'string' ? g : {})) ?? [];
      return { name: isObj(r) && typeof r.name === 'string' ? r.name : '', experiment: experiment ? { goals } : undefined };
    }) as Parameters<typeof checkExperimentRoutes>[0],
    ctx,
  );
}

function checkAdmin(cfg: Obj, report: Report): void {
  const admin = isObj(cfg.admin) ? cfg.admin : {};
  if (isListen(admin.listen) && !isLoopback(admin.listen.host) && !admin.token && !admin.writeToken) {
    report(['admin', 'listen'], 'admin listens beyond loopback, so admin.token (or admin.writeToken and admin.readToken) is required');
  }
  if (admin.readToken && !admin.writeToken && !admin.token) {
    report(['admin', 'readToken'], 'admin.readToken needs admin.writeToken (or admin.token) too, or nothing could act or reload');
  }
  const metrics = isObj(cfg.metrics) ? cfg.metrics.listen : undefined;
  if (isListen(metrics) && isListen(admin.listen) && sameAddress(metrics, admin.listen))
    report(['metrics', 'listen'], 'metrics.listen must differ from admin.listen');
  if (isListen(metrics) && isListen(cfg.listen) && sameAddress(metrics, cfg.listen))
    report(['metrics', 'listen'], 'metrics.listen must differ from listen');
}

function checkRoute(route: Obj, report: Report, upstreams: string[] | undefined): void {
  const arms = isObj(route.arms) ? route.arms : undefined;
  const unknownUpstream = (name: unknown): name is string =>
    typeof name === 'string' && upstreams !== undefined && !upstreams.includes(name);
  if (arms) {
    if (!Object.hasOwn(arms, 'control')) report(['arms'], 'arms must include "control"');
    for (const [arm, upstream] of Object.entries(arms))
      if (unknownUpstream(upstream)) report(['arms', arm], `unknown upstream "${upstream}"${suggest(upstream, upstreams ?? [])}`);
  }
  (Array.isArray(route.shadow) ? route.shadow : []).forEach((sh, j) => {
    if (!isObj(sh)) return;
    if (unknownUpstream(sh.to)) report(['shadow', j, 'to'], `unknown upstream "${sh.to}"${suggest(sh.to, upstreams ?? [])}`);
    const noiseFrom = isObj(sh.compare) ? sh.compare.noiseFrom : undefined;
    if (unknownUpstream(noiseFrom))
      report(['shadow', j, 'compare', 'noiseFrom'], `unknown upstream "${noiseFrom}"${suggest(noiseFrom, upstreams ?? [])}`);
    if (arms && typeof sh.arm === 'string' && sh.arm !== '*' && !Object.hasOwn(arms, sh.arm))
      report(['shadow', j, 'arm'], `unknown arm "${sh.arm}" (use an arm of this route or "*")${suggest(sh.arm, Object.keys(arms))}`);
  });
  if (isObj(route.fault)) checkFaultArms(route, report);
  if (isObj(route.fault)) checkRampGoal(route, report);
  if (!arms) return;
  const variants = Object.keys(arms).filter((a) => a !== 'control');
  const rollout = isObj(route.rollout) ? route.rollout : undefined;
  const split = isObj(route.split) ? route.split : {};
  if (rollout) {
    const max = 100 / Math.max(1, variants.length);
    if (variants.length === 0) report(['rollout'], 'a rollout needs a variant arm');
    // Here rather than in the rollout's own refinement, which zod skips when any rollout field failed.
    if (rollout.holdbackFor !== undefined && rollout.holdback === undefined)
      report(['rollout', 'holdbackFor'], 'holdbackFor needs holdback: (the share of units kept on control)');
    const steps = Array.isArray(rollout.steps) ? rollout.steps : [];
    steps.forEach((step, k) => {
      if (isNum(step) && step > max + 1e-9) report(['rollout', 'steps', k], `${step}% exceeds the variant lane of ${+max.toFixed(2)}%`);
      const held =
        isNum(step) && isNum(rollout.holdback) && k < steps.length - 1 ? holdbackIssue(step, rollout.holdback, variants.length) : undefined;
      if (held) report(['rollout', 'steps', k], held);
    });
    // Compile takes the weights from rollout.steps[0]; a split beside it would be silently ignored.
    if (Object.keys(split).length > 0)
      report(
        ['split'],
        'split is ignored when the route has a rollout (the rollout sets the weights, from steps[0]); remove split or rollout',
      );
    // Two owners of one route's weights would overwrite each other every step/update.
    if (isObj(route.experiment) && route.experiment.allocation === 'bandit')
      report(
        ['rollout'],
        'rollout: cannot be combined with experiment.allocation: bandit (the bandit owns the weights); remove rollout or use allocation: fixed',
      );
  }
  const lane = variants.length > 0 ? 100 / variants.length : 100;
  for (const [arm, pct] of Object.entries(split)) {
    if (arm === 'control') report(['split', arm], 'control gets the rest; split lists variants only');
    else if (!variants.includes(arm)) report(['split', arm], `unknown arm "${arm}"${suggest(arm, variants) || variantsNote(variants)}`);
    else if (isNum(pct) && pct > lane + 1e-9)
      report(
        ['split', arm],
        `${pct}% exceeds this variant's lane of ${+lane.toFixed(2)}% (${variants.length} variants share the bucket space equally so ramps never move users between variants)`,
      );
  }
}

function variantsNote(variants: readonly string[]): string {
  return variants.length > 0 ? ` (variants of this route: ${variants.join(', ')})` : ' (this route has no variant arm)';
}

/** First match wins: a route every request of which an earlier route already takes is dead config. */
function checkShadowing(routes: unknown[], report: Report): void {
  const specs = routes.map((r) => (isObj(r) ? matchSpec(r.match) : undefined));
  specs.forEach((later, j) => {
    if (!later) return;
    const i = specs.findIndex((earlier, k) => k < j && earlier !== undefined && covers(earlier, later));
    if (i === -1) return;
    const name = (k: number) => {
      const n = (routes[k] as Obj).name;
      return typeof n === 'string' ? `"${n}"` : `#${k + 1}`;
    };
    report(
      ['routes', j, 'match'],
      `route ${name(j)} can never match: route ${name(i)} (routes[${i}], path ${specs[i]!.path}) comes first and takes every request it would (first match wins); move it above ${name(i)} or narrow ${name(i)}'s match`,
    );
  });
}

/** The match block as the route table reads it, or undefined when it failed its own checks. */
function matchSpec(match: unknown): MatchSpec | undefined {
  const m = match === undefined ? { path: '/*' } : match;
  if (!isObj(m) || typeof m.path !== 'string') return undefined;
  const strings = (v: unknown) => Array.isArray(v) && v.every((x) => typeof x === 'string');
  if (m.host !== undefined && typeof m.host !== 'string' && !strings(m.host)) return undefined;
  if (m.methods !== undefined && !strings(m.methods)) return undefined;
  if (m.headers !== undefined && !(isObj(m.headers) && Object.values(m.headers).every((v) => typeof v === 'string'))) return undefined;
  return m as unknown as MatchSpec;
}

/** Two listen addresses that would collide (port 0 means "any free port" and never collides). */
function sameAddress(a: { host: string; port: number }, b: { host: string; port: number }): boolean {
  return a.port !== 0 && a.port === b.port;
}
