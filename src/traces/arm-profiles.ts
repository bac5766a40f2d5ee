/**
 * Dependency profiles per route and arm: for sampled requests of a split route, the spans below
 * the call Fieldlab made upstream are counted by (service, operation) — calls per request, time
 * per call, errors — so control and variant can be compared ("variant makes 2.1 calls to
 * `inventory` per request vs 1.0"). Off the request path: `note` only appends a trace id and span
 * id to a bounded list; a timer settles them like the span join does. Each settled request becomes
 * per-minute increments written through the diff batcher (storage/profile-rows.ts), so a profile
 * survives a restart and, on a shared PostgreSQL store, sums every replica; `read` adds the stored
 * rows to the batcher's rows not yet written. Bounded: pending requests (`maxPending`), operations
 * per route (`maxOps`), routes; every drop is counted (and the batcher's own key cap applies).
 */
import { wilson, type Interval } from '../compare/noise.js';
import { createLru } from '../compare/lru.js';
import { LATENCY_BOUNDS, emptyHistogram, observe, quantile } from '../stats/histogram.js';
import type { DiffBatcher } from '../storage/batcher.js';
import { ARM_ROW, addProfileRow, emptyProfileRow, mergeProfileRows, type ProfileRow } from '../storage/profile-rows.js';
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
  /** Per call: median (upper bound of its ~10%-wide histogram bucket), mean over all calls. */
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
  /**
   * The route's profile over the stored minutes plus those not yet written, or undefined when it has
   * no rows. Rejects when the store does.
   */
  read(route: string): Promise<RouteProfile | undefined>;
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
  /** Where increments go and what is not yet stored (the diff batcher); default: in memory only. */
  readonly sink?: Pick<DiffBatcher, 'profile' | 'pendingProfiles'>;
  /** The stored rows (DiffStore.profiles), summed over minutes since `since`. */
  readonly stored?: (route: string, since: number) => Promise<ProfileRow[]>;
  /** Wall clock for the minute of each increment (default Date.now). */
  readonly clock?: () => number;
}

/** Per route, in memory: the operations admitted (the `maxOps` cap) and those turned away. */
interface RouteAcc {
  readonly ops: Set<string>;
  droppedOps: number;
}

interface Pending {
  readonly route: string;
  readonly arm: string;
  readonly traceId: string;
  readonly spanId: string;
  readonly due: number;
}

const MAX_ROUTES = 256;
const MINUTE_MS = 60_000;
/** What a profile covers: the stored minutes of the last day, plus the rows not yet written. */
const WINDOW_MS = 86_400_000;

/**
 * A sink that keeps every increment in memory (no store: tests, embedding), summed per key.
 * @example createArmProfiles({ buffer, waitMs, sink: memoryProfileSink() })
 */
export function memoryProfileSink(): Pick<DiffBatcher, 'profile' | 'pendingProfiles'> {
  const rows = new Map<string, ProfileRow>();
  return {
    profile(inc) {
      const key = `${inc.route}\0${inc.arm}\0${inc.op}`;
      let row = rows.get(key);
      if (!row) rows.set(key, (row = emptyProfileRow(0, inc.route, inc.arm, inc.op)));
      addProfileRow(row, inc);
    },
    pendingProfiles: (route) => [...rows.values()].filter((r) => r.route === route),
  };
}

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

  const sink = opts.sink ?? memoryProfileSink();
  const clock = opts.clock ?? Date.now;
  const routeAcc = (name: string): RouteAcc => {
    let r = routes.get(name);
    if (!r) routes.set(name, (r = { ops: new Set(), droppedOps: 0 }));
    return r;
  };

  const settle = (p: Pending, force: boolean): boolean => {
    const held = opts.buffer.get(p.traceId);
    const t = now();
    if (!force && t < p.due && (!held || t - held.lastAt < settleMs)) return false;
    const tree = held ? callTree(held.spans, p.spanId) : undefined;
    if (!tree && !force && t < p.due) return false;
    const r = routeAcc(p.route);
    const minute = Math.floor(clock() / MINUTE_MS) * MINUTE_MS;
    const armRow = emptyProfileRow(minute, p.route, p.arm, ARM_ROW);
    if (!tree) {
      armRow.missing = 1;
      sink.profile(armRow);
      totals.missing++;
      return true;
    }
    totals.profiled++;
    armRow.requests = 1;
    sink.profile(armRow);
    // This request's increment per operation; calls² feeds the variance of calls per request.
    const perRequest = new Map<string, ProfileRow>();
    for (const { span, op } of tree.spans) {
      if (!r.ops.has(op)) {
        if (r.ops.size >= maxOps) {
          r.droppedOps++;
          continue;
        }
        r.ops.add(op);
      }
      let o = perRequest.get(op);
      if (!o) perRequest.set(op, (o = { ...emptyProfileRow(minute, p.route, p.arm, op), latency: emptyHistogram(LATENCY_BOUNDS) }));
      o.calls++;
      o.errors += span.error ? 1 : 0;
      o.totalMs += span.durationMs;
      observe(o.latency, LATENCY_BOUNDS, span.durationMs);
    }
    for (const o of perRequest.values()) {
      o.sumSq = o.calls * o.calls;
      sink.profile(o);
    }
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
    async read(name) {
      // The last 24 h, not the whole retention: a read sums every stored minute (measured ~0.4 s in the
      // store's thread for a day of 2 arms × 8 operations), and the dashboard reads it on each poll.
      const stored = opts.stored ? await opts.stored(name, clock() - WINDOW_MS) : [];
      // Read after the store answered: a batch whose write settled meanwhile is in `stored`, not here.
      const rows = mergeProfileRows([...stored, ...sink.pendingProfiles(name)]);
      return rows.length === 0 ? undefined : snapshot(rows, routes.get(name)?.droppedOps ?? 0);
    },
    stats: () => ({ pending: waiting.length, ...totals }),
    stop: () => clearInterval(timer),
  };
}

function snapshot(rows: readonly ProfileRow[], droppedOps: number): RouteProfile {
  const armRows = rows.filter((r) => r.op === ARM_ROW).sort((a, b) => a.arm.localeCompare(b.arm));
  const arms = Object.fromEntries(armRows.map((a) => [a.arm, { requests: a.requests, missing: a.missing }]));
  const byOp = new Map<string, Map<string, ProfileRow>>();
  for (const r of rows) {
    if (r.op === ARM_ROW) continue;
    let m = byOp.get(r.op);
    if (!m) byOp.set(r.op, (m = new Map()));
    m.set(r.arm, r);
  }
  const operations = [...byOp.keys()].sort().map((op) => {
    const byArm = byOp.get(op)!;
    const space = op.indexOf(' ');
    const out: Record<string, ArmOperation> = {};
    for (const a of armRows) if (a.requests > 0) out[a.arm] = armOperation(a.requests, byArm.get(a.arm));
    return { op, service: op.slice(0, space), operation: op.slice(space + 1), arms: out };
  });
  const any = armRows.some((a) => a.requests > 0);
  return { arms, operations, droppedOps, ...(any ? {} : { note: 'no spans' as const }) };
}

/**
 * One arm's figures for one operation; `o` undefined = the arm never called it.
 * @example armOperation(10, acc).callsPerRequest // { mean: 2, lower: 2, upper: 2 }
 */
export function armOperation(
  requests: number,
  o: Pick<ProfileRow, 'calls' | 'sumSq' | 'errors' | 'totalMs' | 'latency'> | undefined,
): ArmOperation {
  const calls = o?.calls ?? 0;
  const mean = calls / requests;
  const variance = requests > 1 ? Math.max(0, ((o?.sumSq ?? 0) - requests * mean * mean) / (requests - 1)) : undefined;
  const half = variance === undefined ? undefined : 1.96 * Math.sqrt(variance / requests);
  const p50 = (o && quantile(o.latency, LATENCY_BOUNDS, 0.5)) ?? 0;
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
