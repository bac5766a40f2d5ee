/**
 * Dependency profiles per route and arm: for sampled requests of a split route, the spans below
 * the call Fieldlab made upstream are counted by (service, operation) — calls per request, time
 * per call, errors — so control and variant can be compared ("variant makes 2.1 calls to
 * `inventory` per request vs 1.0"). Off the request path: `note` only appends a trace id and span
 * id to a bounded list; a timer settles them like the span join does. Bounded: pending requests
 * (`maxPending`), operations per route (`maxOps`), routes, latency samples per operation; every
 * drop is counted.
 */
import { wilson, type Interval } from '../compare/noise.js';
import { createLru } from '../compare/lru.js';
import type { ExchangeObserver } from '../telemetry/hooks.js';
import { parseTraceparent } from '../telemetry/traceparent.js';
import type { SpanBuffer } from './span-buffer.js';
import { callTree } from './span-tree.js';

/** Mean with a normal-approximation 95% interval (undefined ends below two requests). */
export interface MeanInterval {
  readonly mean: number;
  readonly lower: number | undefined;
  readonly upper: number | undefined;
}

/** One operation as one arm calls it. */
export interface ArmOperation {
  /** Requests of the arm with spans (the denominator of `callsPerRequest`). */
  readonly requests: number;
  readonly calls: number;
  readonly errors: number;
  readonly callsPerRequest: MeanInterval;
  /** Per call: median over the latest samples, mean over all calls. */
  readonly latencyMs: { readonly p50: number; readonly mean: number };
  /** Errors per call, Wilson interval. */
  readonly errorRate: Interval;
}

/** One route's profile (GET /experiments.json `profile`). */
export interface RouteProfile {
  /** Per arm: requests with spans, and traced requests whose spans never came. */
  readonly arms: Readonly<Record<string, { readonly requests: number; readonly missing: number }>>;
  /** Sorted by `op`; an arm that never called it has zero calls (with its request count). */
  readonly operations: readonly {
    readonly op: string;
    readonly service: string;
    readonly operation: string;
    readonly arms: Readonly<Record<string, ArmOperation>>;
  }[];
  /** Operations not tracked because the route already had `maxOps`. */
  readonly droppedOps: number;
  /** 'no spans' until a request of the route has spans below its call. */
  readonly note?: 'no spans';
}

/** Counters (GET /mirror traces). */
export interface ArmProfileStats {
  readonly pending: number;
  readonly profiled: number;
  readonly missing: number;
  readonly dropped: number;
}

/** The profiles. */
export interface ArmProfiles {
  /** Remembers one sampled arm request (called by the observer; O(1)). */
  note(route: string, arm: string, traceId: string, spanId: string): void;
  /** Settles waiting requests whose spans are in (tests, shutdown); `all` settles the rest too. */
  drain(all?: boolean): void;
  /** The route's profile, or undefined when none of its requests was noted. */
  read(route: string): RouteProfile | undefined;
  stats(): ArmProfileStats;
  stop(): void;
}

/** Settings. */
export interface ArmProfileOptions {
  readonly buffer: SpanBuffer;
  /** Longest a request waits for spans (traces.wait). */
  readonly waitMs: number;
  readonly settleMs?: number;
  readonly maxPending?: number;
  /** Operations tracked per route (default 64). */
  readonly maxOps?: number;
  readonly tickMs?: number;
  /** Per tick, most ms spent profiling (default 4). */
  readonly sliceMs?: number;
  readonly now?: () => number;
}

interface OpAcc {
  calls: number;
  sumSq: number;
  errors: number;
  totalMs: number;
  /** Ring of the latest per-call durations (p50). */
  readonly samples: number[];
  next: number;
}

interface ArmAcc {
  requests: number;
  missing: number;
}

interface RouteAcc {
  readonly arms: Map<string, ArmAcc>;
  /** op → arm → accumulator. */
  readonly ops: Map<string, Map<string, OpAcc>>;
  droppedOps: number;
}

interface Pending {
  readonly route: string;
  readonly arm: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly due: number;
}

const SAMPLES = 256;
const MAX_ROUTES = 256;

/**
 * Creates the profiles and starts their timer (unref'd).
 * @example const profiles = createArmProfiles({ buffer, waitMs: 30_000 }); observer = profileObserver(tracing.observer, profiles)
 */
export function createArmProfiles(opts: ArmProfileOptions): ArmProfiles {
  const now = opts.now ?? (() => performance.now());
  const settleMs = opts.settleMs ?? 1000;
  const maxPending = opts.maxPending ?? 5000;
  const maxOps = opts.maxOps ?? 64;
  const routes = createLru<string, RouteAcc>(MAX_ROUTES);
  let waiting: Pending[] = [];
  const totals = { profiled: 0, missing: 0, dropped: 0 };

  const routeAcc = (name: string): RouteAcc => {
    let r = routes.get(name);
    if (!r) routes.set(name, (r = { arms: new Map(), ops: new Map(), droppedOps: 0 }));
    return r;
  };
  const armAcc = (r: RouteAcc, arm: string): ArmAcc => {
    let a = r.arms.get(arm);
    if (!a) r.arms.set(arm, (a = { requests: 0, missing: 0 }));
    return a;
  };

  const settle = (p: Pending, force: boolean): boolean => {
    const held = opts.buffer.get(p.traceId);
    const t = now();
    if (!force && t < p.due && (!held || t - held.lastAt < settleMs)) return false;
    const tree = held ? callTree(held.spans, p.spanId) : undefined;
    if (!tree && !force && t < p.due) return false;
    const r = routeAcc(p.route);
    const a = armAcc(r, p.arm);
    if (!tree) {
      a.missing++;
      totals.missing++;
      return true;
    }
    totals.profiled++;
    a.requests++;
    const perRequest = new Map<string, { o: OpAcc; n: number }>();
    for (const { span, op } of tree.spans) {
      let byArm = r.ops.get(op);
      if (!byArm) {
        if (r.ops.size >= maxOps) {
          r.droppedOps++;
          continue;
        }
        r.ops.set(op, (byArm = new Map()));
      }
      let o = byArm.get(p.arm);
      if (!o)
        byArm.set(
          p.arm,
          (o = {
            calls: 0,
            sumSq: 0,
            errors: 0,
            totalMs: 0,
            samples: [],
            next: 0,
          }),
        );
      o.calls++;
      o.errors += span.error ? 1 : 0;
      o.totalMs += span.durationMs;
      if (o.samples.length < SAMPLES) o.samples.push(span.durationMs);
      else o.samples[o.next] = span.durationMs;
      o.next = (o.next + 1) % SAMPLES;
      const seen = perRequest.get(op);
      if (seen) seen.n++;
      else perRequest.set(op, { o, n: 1 });
    }
    // Squares of this request's call counts, for the variance of calls per request.
    for (const { o, n } of perRequest.values()) o.sumSq += n * n;
    return true;
  };

  // In slices, like the span join: at most `sliceMs` on the event loop per tick unless `all`.
  const drain = (all = false) => {
    const until = now() + (opts.sliceMs ?? 4);
    const keep: Pending[] = [];
    for (let i = 0; i < waiting.length; i++) {
      if (!all && now() > until) {
        keep.push(...waiting.slice(i));
        break;
      }
      if (!settle(waiting[i]!, all)) keep.push(waiting[i]!);
    }
    waiting = keep;
  };
  const timer = setInterval(() => drain(false), opts.tickMs ?? 250);
  timer.unref();

  return {
    note(route, arm, traceId, spanId) {
      if (waiting.length >= maxPending) {
        totals.dropped++;
        return;
      }
      waiting.push({ route, arm, traceId, spanId, due: now() + opts.waitMs });
    },
    drain,
    read: (name) => {
      const r = routes.get(name);
      return r ? snapshot(r) : undefined;
    },
    stats: () => ({ pending: waiting.length, ...totals }),
    stop: () => clearInterval(timer),
  };
}

function snapshot(r: RouteAcc): RouteProfile {
  const arms = Object.fromEntries([...r.arms].map(([k, a]) => [k, { requests: a.requests, missing: a.missing }]));
  const operations = [...r.ops.keys()].sort().map((op) => {
    const byArm = r.ops.get(op)!;
    const space = op.indexOf(' ');
    const out: Record<string, ArmOperation> = {};
    for (const [arm, a] of r.arms) {
      if (a.requests === 0) continue;
      out[arm] = armOperation(a.requests, byArm.get(arm));
    }
    return {
      op,
      service: op.slice(0, space),
      operation: op.slice(space + 1),
      arms: out,
    };
  });
  const any = [...r.arms.values()].some((a) => a.requests > 0);
  return {
    arms,
    operations,
    droppedOps: r.droppedOps,
    ...(any ? {} : { note: 'no spans' as const }),
  };
}

/**
 * One arm's figures for one operation; `o` undefined = the arm never called it.
 * @example armOperation(10, acc).callsPerRequest // { mean: 2, lower: 2, upper: 2 }
 */
export function armOperation(requests: number, o: OpAcc | undefined): ArmOperation {
  const calls = o?.calls ?? 0;
  const mean = calls / requests;
  const variance = requests > 1 ? Math.max(0, ((o?.sumSq ?? 0) - requests * mean * mean) / (requests - 1)) : undefined;
  const half = variance === undefined ? undefined : 1.96 * Math.sqrt(variance / requests);
  const sorted = [...(o?.samples ?? [])].sort((x, y) => x - y);
  const p50 = sorted.length === 0 ? 0 : sorted[Math.floor((sorted.length - 1) / 2)]!;
  return {
    requests,
    calls,
    errors: o?.errors ?? 0,
    callsPerRequest: {
      mean,
      lower: half === undefined ? undefined : Math.max(0, mean - half),
      upper: half === undefined ? undefined : mean + half,
    },
    latencyMs: {
      p50: round(p50),
      mean: calls === 0 ? 0 : round((o?.totalMs ?? 0) / calls),
    },
    errorRate: wilson(o?.errors ?? 0, calls),
  };
}

const round = (ms: number) => Math.round(ms * 100) / 100;

/**
 * Decorates the tracing observer: each sampled request of a split route (two arms or more) is
 * noted with the span id it sent upstream. Routes with one arm cost one length check.
 * @example observers.push(namedObserver('tracing', profileObserver(tracing.observer, profiles)))
 */
export function profileObserver(inner: ExchangeObserver, profiles: Pick<ArmProfiles, 'note'>): ExchangeObserver {
  return {
    ...(inner.name !== undefined ? { name: inner.name } : {}),
    begin(x) {
      const t = inner.begin(x);
      if (!t || x.route.arms.length < 2 || t.traceparent === undefined) return t;
      const p = parseTraceparent(t.traceparent);
      if (p?.sampled) profiles.note(x.route.name, x.arm, p.traceId, p.spanId);
      return t;
    },
  };
}
