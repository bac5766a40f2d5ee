/**
 * Joins mirrored pairs to the services' spans and diffs their call trees, off the request path.
 * A traced pair (its trace sampled, both span ids known) waits in a bounded list until spans have
 * arrived below both calls and the trace has been quiet for `settleMs` — or until `waitMs`, when
 * it is diffed with what came (`spans-missing` if a side has nothing). A timer looks at the list
 * in short slices; past `maxPending` pairs, new ones are dropped and counted (`spans-dropped`).
 *
 * Results go into the diff batcher as fields: shadow pairs as compared fields, noise pairs
 * (noiseFrom copies) and repeats of the same safe request to the primary as noise — the same
 * rows and statistics as response fields, so a call that varies on its own is noise.
 */
import type { CapturedResponse, ComparePair } from '../compare/types.js';
import { endpointOf } from '../compare/template.js';
import { repeatKey } from '../compare/repeat-noise.js';
import { createLru } from '../compare/lru.js';
import type { DiffBatcher, DiffTarget } from '../storage/batcher.js';
import type { PairTap } from '../mirror/sink-tap.js';
import type { SpanBuffer } from './span-buffer.js';
import { callTree, calledService, renderTree, type CallTree } from './span-tree.js';
import { diffTrees, type TreeDiff } from './tree-diff.js';

/** Join counters (metrics, GET /mirror). */
export interface TraceJoinStats {
  /** Traced pairs waiting for spans. */
  readonly pending: number;
  /** Pairs whose trees were compared (shadow and noise). */
  readonly compared: number;
  /** Traced pairs without spans below one of the calls at their deadline. */
  readonly missing: number;
  /** Traced pairs refused because `maxPending` were waiting. */
  readonly dropped: number;
  /** Pairs that carried no sampled trace (not joinable; not an error). */
  readonly untraced: number;
}

/** The join: a pair tap plus introspection. */
export interface TraceJoin {
  readonly tap: Required<Pick<PairTap, 'pair'>>;
  /**
   * A pair already slimmed (a worker's, over IPC: cluster/trace-relay.ts); `untraced` adds the
   * worker's count of pairs that carried no sampled trace.
   */
  admit(pair: JoinPair, kind: 'shadow' | 'noise'): void;
  untraced(n: number): void;
  /** Diffs every waiting pair whose spans are in, now (tests, shutdown); `all` diffs the rest too. */
  drain(all?: boolean): void;
  stats(): TraceJoinStats;
  stop(): void;
}

/** Settings. */
export interface TraceJoinOptions {
  readonly buffer: SpanBuffer;
  readonly batcher: DiffBatcher;
  /** Longest a pair waits for spans (traces.wait). */
  readonly waitMs: number;
  /** Quiet time after the last span of a trace before its trees count as complete (default 1 s). */
  readonly settleMs?: number;
  readonly maxPending?: number;
  readonly tickMs?: number;
  /** Per tick, most ms spent diffing (default 4). */
  readonly sliceMs?: number;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

/**
 * What a waiting pair keeps: its identity, statuses and latencies — never the captured bodies
 * (up to compare.maxBody each), which would otherwise be held for traces.wait × maxPending.
 */
export interface JoinPair extends Omit<ComparePair, 'primary' | 'candidate' | 'spans'> {
  readonly spans: NonNullable<ComparePair['spans']>;
  readonly primary: Pick<CapturedResponse, 'status' | 'latencyMs'>;
  readonly candidate: Pick<CapturedResponse, 'status' | 'latencyMs'>;
}

interface Waiting {
  readonly pair: JoinPair;
  readonly kind: 'shadow' | 'noise';
  readonly due: number;
}

/**
 * The pair without its bodies.
 * @example slimPair(pair, pair.spans).primary // { status: 200, latencyMs: 3.1 }
 */
export function slimPair(pair: ComparePair, spans: NonNullable<ComparePair['spans']>): JoinPair {
  const { primary, candidate, ...rest } = pair;
  return {
    ...rest,
    spans,
    primary: { status: primary.status, latencyMs: primary.latencyMs },
    candidate: { status: candidate.status, latencyMs: candidate.latencyMs },
  };
}

const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);
/** Repeats older than this are not noise evidence (as for response fields, repeat-noise.ts). */
const REPEAT_MAX_AGE_MS = 60_000;
/** Operations remembered per endpoint; a flood of distinct span names stops growing the fields here. */
const MAX_KNOWN_OPS = 64;

/**
 * Creates the join and starts its timer (unref'd).
 * @example const join = createTraceJoin({ buffer, batcher, waitMs: 30_000 }); sink = tapPairSink(pipeline, join.tap)
 */
export function createTraceJoin(opts: TraceJoinOptions): TraceJoin {
  const now = opts.now ?? (() => performance.now());
  const settleMs = opts.settleMs ?? 1000;
  const maxPending = opts.maxPending ?? 5000;
  const sliceMs = opts.sliceMs ?? 4;
  const { buffer, batcher } = opts;
  let waiting: Waiting[] = [];
  const totals = { compared: 0, missing: 0, dropped: 0, untraced: 0 };
  const repeats = createLru<string, { ops: CallTree['ops']; at: number }>(512);
  // Primary calls already fed to the repeat learner (one primary is paired with every shadow), by span id.
  const learned = createLru<string, true>(4096);
  // Operations seen below each endpoint's calls (see tree-diff.ts: the shared denominator).
  const known = createLru<string, Set<string>>(1000);
  const knownOps = (target: DiffTarget, ...trees: Pick<CallTree, 'ops'>[]): Set<string> => {
    const k = `${target.route}\u0000${target.endpoint}`;
    let set = known.get(k);
    if (!set) known.set(k, (set = new Set()));
    for (const t of trees) for (const op of t.ops.keys()) if (set.size < MAX_KNOWN_OPS) set.add(op);
    return set;
  };

  const settle = (w: Waiting, force: boolean): boolean => {
    const held = buffer.get(w.pair.traceId!);
    const t = now();
    if (!force && t < w.due && (!held || t - held.lastAt < settleMs)) return false;
    const primary = held ? callTree(held.spans, w.pair.spans.primary) : undefined;
    const self = primary ? calledService(primary) : undefined;
    const candidate = held ? callTree(held.spans, w.pair.spans.candidate, self) : undefined;
    if ((!primary || !candidate) && !force && t < w.due) return false;
    if (!primary || !candidate) {
      totals.missing++;
      if (w.kind === 'shadow') batcher.skip(w.pair.route, w.pair.shadow, 'spans-missing');
      return true;
    }
    totals.compared++;
    const { pair } = w;
    const target: DiffTarget = { route: pair.route, shadow: pair.shadow, endpoint: endpointOf(pair.method, pair.path, pair.routeTemplate) };
    record(w, target, primary, candidate, diffTrees(primary, candidate, knownOps(target, primary, candidate)));
    return true;
  };

  const record = (w: Waiting, target: DiffTarget, primary: CallTree, candidate: CallTree, diff: TreeDiff) => {
    const { pair } = w;
    if (w.kind === 'noise') {
      for (const f of diff.fields) batcher.noise(target, f.field, f.differed, f.deltaMs);
      return;
    }
    for (const f of diff.fields) batcher.field(target, f.field, f.kind, f.differed, f.deltaMs);
    learnRepeat(pair, target, primary);
    const differing = diff.fields.filter((f) => f.differed);
    const wanted = differing.filter((f) => batcher.wantsExample(target, f.field, f.kind));
    if (wanted.length === 0) return;
    const primaryBody = renderTree(primary);
    const candidateBody = renderTree(candidate);
    const paths = differing.map((f) => f.field);
    for (const f of wanted) {
      batcher.example({
        ...target,
        field: f.field,
        kind: f.kind,
        at: pair.at,
        requestId: pair.requestId,
        traceId: pair.traceId,
        method: pair.method,
        path: pair.path,
        primaryStatus: pair.primary.status,
        candidateStatus: pair.candidate.status,
        primaryBody,
        candidateBody,
        paths,
        primaryLatencyMs: Math.round(pair.primary.latencyMs * 100) / 100,
        candidateLatencyMs: Math.round(pair.candidate.latencyMs * 100) / 100,
      });
    }
  };

  // Repeats of the same safe request to the primary: what its tree does on its own is noise.
  const learnRepeat = (pair: JoinPair, target: DiffTarget, primary: CallTree) => {
    if (!SAFE.has(pair.method) || learned.get(pair.spans.primary)) return;
    learned.set(pair.spans.primary, true);
    const key = repeatKey(pair.method, `${pair.route}${pair.path}`);
    const prev = repeats.get(key);
    repeats.set(key, { ops: primary.ops, at: pair.at });
    if (!prev || pair.at - prev.at > REPEAT_MAX_AGE_MS || pair.at < prev.at) return;
    const seen = diffTrees({ ops: prev.ops }, primary, knownOps(target, primary));
    for (const f of seen.fields) batcher.noise({ ...target, shadow: '*' }, f.field, f.differed, f.deltaMs);
  };

  const drain = (all = false) => {
    const until = now() + sliceMs;
    const keep: Waiting[] = [];
    for (let i = 0; i < waiting.length; i++) {
      const w = waiting[i]!;
      if (!all && now() > until) {
        keep.push(...waiting.slice(i));
        break;
      }
      try {
        if (!settle(w, all)) keep.push(w);
      } catch (err) {
        opts.onError?.(err);
      }
    }
    waiting = keep;
    buffer.sweep();
  };
  const timer = setInterval(() => drain(false), opts.tickMs ?? 250);
  timer.unref();

  const admit = (pair: JoinPair, kind: 'shadow' | 'noise') => {
    if (waiting.length >= maxPending) {
      totals.dropped++;
      if (kind === 'shadow') batcher.skip(pair.route, pair.shadow, 'spans-dropped');
      return;
    }
    waiting.push({ pair, kind, due: now() + opts.waitMs });
  };
  return {
    tap: {
      pair(pair, _shadow, kind) {
        if (pair.traceId === undefined || pair.spans === undefined) {
          totals.untraced++;
          return;
        }
        admit(slimPair(pair, pair.spans), kind);
      },
    },
    admit,
    untraced: (n) => void (totals.untraced += n),
    drain,
    stats: () => ({ pending: waiting.length, ...totals }),
    stop: () => clearInterval(timer),
  };
}
