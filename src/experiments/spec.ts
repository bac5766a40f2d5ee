/**
 * Experiments compiled once per config snapshot: for each route with `experiment:`, how to read its
 * unit (the route's sticky sources, without generating one), and every goal as cheap predicates
 * (method set, path matcher, status class), indexed by the route a request arrives on. A request
 * then walks only the goals that could apply to its route; with no experiment configured nothing runs.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Snapshot } from '../config/compile.js';
import type { RawExperiment, RawGoal } from '../config/schema-experiment.js';
import { compilePath, type PathMatcher } from '../routing/path-matcher.js';
import type { Audience } from '../routing/audience.js';
import { compileSource, DEFAULT_STICKY_COOKIE } from '../routing/sticky.js';

/** One goal, ready for the hot path. */
export interface GoalSpec {
  /** The experiment route the goal belongs to. */
  readonly experiment: string;
  readonly name: string;
  readonly kind: RawGoal['kind'];
  readonly methods: ReadonlySet<string> | undefined;
  readonly path: PathMatcher;
  /** Status class digit (2 for 2xx), or 0 for any. */
  readonly statusClass: number;
  /** Response header (lower-case) and value ('*' = any), when the goal needs one. */
  readonly header: { readonly name: string; readonly value: string } | undefined;
  readonly json: { readonly path: readonly string[]; readonly equals: string | number | boolean } | undefined;
  /** value goals: the JSON field to sum. */
  readonly value: readonly string[] | undefined;
  /** True when the response body must be read (json match or value). */
  readonly needsBody: boolean;
}

/** One route's experiment. */
export interface ExperimentSpec {
  readonly route: string;
  readonly config: RawExperiment;
  /** Arm names, control first, as the route lists them. */
  readonly arms: readonly string[];
  /** The unit of a request on any route: the first present sticky source, or undefined. */
  unitOf(req: { headers: IncomingHttpHeaders; query: string; clientIp: string }): string | undefined;
  /** The route's targeting and layer slice (a goal request outside it is not the experiment's); undefined = everyone. */
  readonly audience: Audience | undefined;
  readonly goals: readonly GoalSpec[];
}

/** Every experiment of a snapshot. */
export interface CompiledExperiments {
  readonly byRoute: ReadonlyMap<string, ExperimentSpec>;
  /** Goals that may match a request arriving on the named route (route-less goals on every route). */
  goalsOn(route: string): readonly GoalSpec[];
  readonly empty: boolean;
}

const cache = new WeakMap<Snapshot, CompiledExperiments>();

/**
 * The snapshot's experiments, compiled on first use and cached with the snapshot.
 * @example experimentsOf(config.current()).byRoute.get('product')?.goals
 */
export function experimentsOf(snap: Snapshot): CompiledExperiments {
  let c = cache.get(snap);
  if (!c) {
    const audiences = new Map(snap.routes.map((r) => [r.name, r.audience]));
    cache.set(snap, (c = compileExperiments(snap.config.routes, (route) => audiences.get(route))));
  }
  return c;
}

/**
 * Compiles the experiments of a route list.
 * @example compileExperiments(cfg.routes).goalsOn('checkout')
 */
export function compileExperiments(
  routes: readonly {
    readonly name: string;
    readonly arms: Readonly<Record<string, string>>;
    readonly sticky: readonly string[];
    readonly experiment?: RawExperiment | undefined;
  }[],
  audienceOf: (route: string) => Audience | undefined = () => undefined,
): CompiledExperiments {
  const byRoute = new Map<string, ExperimentSpec>();
  const anyRoute: GoalSpec[] = [];
  const onRoute = new Map<string, GoalSpec[]>();
  for (const r of routes) {
    if (!r.experiment) continue;
    const goals = r.experiment.goals.map((g) => compileGoal(r.name, g));
    byRoute.set(r.name, {
      route: r.name,
      config: r.experiment,
      arms: ['control', ...Object.keys(r.arms).filter((a) => a !== 'control')],
      unitOf: unitReader(r.sticky),
      audience: audienceOf(r.name),
      goals,
    });
    for (const g of goals) {
      const on = r.experiment.goals.find((raw) => raw.name === g.name)?.route;
      if (on === undefined) anyRoute.push(g);
      else onRoute.set(on, [...(onRoute.get(on) ?? []), g]);
    }
  }
  const merged = new Map<string, readonly GoalSpec[]>();
  for (const [route, gs] of onRoute) merged.set(route, [...gs, ...anyRoute]);
  return { byRoute, goalsOn: (route) => merged.get(route) ?? anyRoute, empty: byRoute.size === 0 };
}

function compileGoal(experiment: string, g: RawGoal): GoalSpec {
  const methods = g.match.method === undefined ? undefined : new Set(Array.isArray(g.match.method) ? g.match.method : [g.match.method]);
  const json = g.match.json ? { path: g.match.json.field.split('.'), equals: g.match.json.equals } : undefined;
  const value = g.value?.split('.');
  return {
    experiment,
    name: g.name,
    kind: g.kind,
    methods,
    path: compilePath(g.match.path),
    statusClass: g.match.status === 'any' ? 0 : Number(g.match.status[0]),
    header: g.match.header ? { name: g.match.header.name.toLowerCase(), value: g.match.header.value } : undefined,
    json,
    value,
    needsBody: json !== undefined || value !== undefined,
  };
}

/** Like the route's sticky extractor, but never generates a key: a request without one has no unit. */
function unitReader(sources: readonly string[]): ExperimentSpec['unitOf'] {
  const all = sources.some((s) => s.startsWith('cookie:')) ? sources : [...sources, `cookie:${DEFAULT_STICKY_COOKIE}`];
  const getters = all.map(compileSource);
  return (req) => {
    for (const get of getters) {
      const key = get(req);
      if (key) return key;
    }
    return undefined;
  };
}

/**
 * True when a request (method, path without query) could be this goal; status and body come later.
 * @example requestMatches(goal, 'POST', '/api/checkout')
 */
export function requestMatches(g: GoalSpec, method: string, path: string): boolean {
  return (g.methods === undefined || g.methods.has(method)) && g.path.matches(path);
}

/**
 * True when `status` is in the goal's status class.
 * @example statusMatches(goal, 201) // true for 2xx
 */
export function statusMatches(g: GoalSpec, status: number): boolean {
  return g.statusClass === 0 || Math.floor(status / 100) === g.statusClass;
}
