/**
 * The compare stage: mirrored pairs wait in a bounded queue and are diffed in small time slices on
 * the event loop, never inline with a request; when the queue is full, pairs are dropped and
 * counted. Results become aggregated counts, noise observations and a few redacted examples in the
 * storage batcher.
 */
import type { DiffBatcher, DiffTarget } from '../storage/batcher.js';
import type { CompiledShadow } from '../mirror/shadow-spec.js';
import type { PairSink } from '../mirror/mirror.js';
import type { CompareSkip, SkipReason } from '../mirror/skip-reasons.js';
import { comparePair } from './compare.js';
import { createPairCounter, type PairCounter, type PairCounts } from './pair-counts.js';
import { decodedOf, jsonOf } from './parsed.js';
import { flattenLeaves } from './flatten.js';
import { createCompareShare, loopClock, type LoopClock } from './duty-cycle.js';
import { createRepeatNoise, repeatKey, type RepeatLearner } from './repeat-noise.js';
import { redactJson } from './redact.js';
import type { CapturedResponse, ComparePair, PairDiff } from './types.js';

/** Pipeline counters (admin API, tests). */
export interface PipelineStats {
  readonly queued: number;
  readonly compared: number;
  readonly dropped: number;
  readonly failed: number;
}

/** The pipeline: a PairSink plus introspection. */
export interface ComparePipeline extends PairSink {
  reserve(): void;
  release(): void;
  stats(): PipelineStats;
  /** Per route and shadow: pairs compared, pairs differing (by part) and skips by reason. */
  pairCounts(): PairCounts[];
  /** Resolves when the queue is empty (tests, shutdown). */
  idle(): Promise<void>;
}

interface Job {
  readonly pair: ComparePair;
  readonly shadow: CompiledShadow;
  readonly kind: 'shadow' | 'noise';
}

const EXAMPLE_BODY_MAX = 16 * 1024;
/** Primary responses already fed to the repeat-noise learner (weak: gone with the pair). */
const learned = new WeakSet<CapturedResponse>();
const SAFE = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Creates the compare pipeline over a batcher.
 * @example const pipeline = createComparePipeline({ batcher }); beginMirror(req, p, { dispatcher, sink: pipeline })
 */
export function createComparePipeline(opts: {
  batcher: DiffBatcher;
  maxQueue?: number;
  sliceMs?: number;
  /** Most of the event loop's time comparing may take (default 0.15); beyond it pairs queue, then drop. */
  maxShare?: number;
  /**
   * The share while client traffic saturates the loop (duty-cycle.ts). Default 0.05; a caller that
   * sets its own maxShare keeps it throughout unless it sets this too (replay: the loop's traffic is
   * its own, and it waits on `accepting` instead of dropping).
   */
  saturatedShare?: number;
  /** Time and loop utilization (tests). */
  clock?: LoopClock;
  /** Most repeat-noise observations per second (default 200): noise rates need a sample, not every pair. */
  repeatPerSecond?: number;
  repeat?: RepeatLearner;
  onError?: (err: unknown) => void;
}): ComparePipeline {
  const { batcher } = opts;
  const maxQueue = opts.maxQueue ?? 1000;
  const sliceMs = opts.sliceMs ?? 2;
  const maxShare = opts.maxShare ?? 0.15;
  const clock = opts.clock ?? loopClock;
  const duty = createCompareShare({
    clock,
    maxShare,
    saturatedShare: opts.saturatedShare ?? (opts.maxShare === undefined ? 0.05 : maxShare),
  });
  const repeat = opts.repeat ?? createRepeatNoise();
  const learnBudget = tokenBucket(opts.repeatPerSecond ?? 200);
  const queue: Job[] = [];
  let scheduled = false;
  /** Captured copies whose shadow hasn't answered yet (reserve/release). */
  let inFlight = 0;
  /** The last slice ended with pairs still queued: comparing is behind the traffic. */
  let behind = false;
  /** When the rest after the last slice ends (clock.now()). */
  let restUntil = 0;
  let idleWaiters: (() => void)[] = [];
  const totals = { compared: 0, dropped: 0, failed: 0 };
  const counts = createPairCounter();
  // Every skip, whichever stage found it, goes to the report (batcher) and the metrics (counts).
  const skip = (route: string, shadow: string, reason: SkipReason | CompareSkip) => {
    counts.skip(route, shadow, reason);
    batcher.skip(route, shadow, reason);
  };

  const drain = () => {
    scheduled = false;
    const started = clock.now();
    const until = started + sliceMs;
    while (queue.length > 0 && clock.now() < until) {
      const job = queue.shift()!;
      try {
        handle(job, batcher, repeat, learnBudget, counts, skip);
        totals.compared++;
      } catch (err) {
        totals.failed++;
        skip(job.pair.route, job.shadow.name, 'internal-error' satisfies CompareSkip);
        opts.onError?.(err);
      }
    }
    behind = queue.length > 0;
    // Duty cycle: after a slice of `busy` ms, rest busy × (1/share − 1) ms, so comparing never takes
    // more than its share of the loop however much traffic is mirrored: maxShare, or less while
    // clients saturate the loop (duty-cycle.ts). The rest holds whether the slice emptied the queue
    // or not: otherwise pairs arriving one by one are compared as they come, without any bound.
    // Under saturation the queue fills and pairs are dropped and counted instead of slowing clients.
    const busy = clock.now() - started;
    duty.busy(busy);
    restUntil = clock.now() + busy * (1 / duty.share() - 1);
    if (queue.length > 0) {
      scheduled = true;
      later();
    } else {
      const waiters = idleWaiters;
      idleWaiters = [];
      waiters.forEach((w) => w());
    }
  };
  // setImmediate yields to pending I/O between slices, so client traffic always goes first.
  const later = () => {
    const rest = restUntil - clock.now();
    if (rest < 1) setImmediate(drain);
    else setTimeout(drain, rest);
  };
  const schedule = () => {
    if (!scheduled) {
      scheduled = true;
      later();
    }
  };

  return {
    pair(pair, shadow, kind) {
      if (queue.length >= maxQueue) {
        totals.dropped++;
        skip(pair.route, shadow.name, 'compare_dropped' satisfies SkipReason);
        return;
      }
      queue.push({ pair, shadow, kind });
      schedule();
    },
    skip,
    // While comparing keeps up, copies in flight will be compared when they arrive. While it is
    // behind, they would find the queue as full as it is now: each counts against its room, so a
    // copy that would be dropped at pairing isn't captured (the skip is the same, compare_dropped).
    accepting: () => queue.length + (behind ? inFlight : 0) < maxQueue,
    reserve: () => void inFlight++,
    release: () => void (inFlight > 0 && inFlight--),
    stats: () => ({ queued: queue.length, ...totals }),
    pairCounts: () => counts.all(),
    idle: () => (queue.length === 0 && !scheduled ? Promise.resolve() : new Promise<void>((r) => idleWaiters.push(r))),
  };
}

/** A token bucket refilled continuously at `perSecond`; take() is false when empty. */
function tokenBucket(perSecond: number): { take(): boolean } {
  let tokens = perSecond;
  let last = performance.now();
  return {
    take() {
      const now = performance.now();
      tokens = Math.min(perSecond, tokens + ((now - last) / 1000) * perSecond);
      last = now;
      if (tokens < 1) return false;
      tokens -= 1;
      return true;
    },
  };
}

function handle(
  { pair, shadow, kind }: Job,
  batcher: DiffBatcher,
  repeat: RepeatLearner,
  learnBudget: { take(): boolean },
  counts: PairCounter,
  skip: (route: string, shadow: string, reason: CompareSkip) => void,
): void {
  const diff = comparePair(pair, shadow.rules);
  const target: DiffTarget = { route: pair.route, shadow: pair.shadow, endpoint: diff.endpoint };
  const differing = new Map(diff.fields.map((f) => [f.field, f]));
  if (kind === 'noise') {
    // primary vs a second copy of control: every difference here is noise by definition.
    for (const field of diff.compared) batcher.noise(target, field, differing.has(field));
    return;
  }
  batcher.pair(target);
  counts.pair(pair.route, pair.shadow, diff.fields);
  if (diff.skipped) skip(pair.route, pair.shadow, diff.skipped);
  const compared = new Set(diff.compared);
  for (const field of compared) {
    const d = differing.get(field);
    batcher.field(target, field, d?.kind ?? 'same', d !== undefined);
  }
  for (const d of diff.fields) if (!compared.has(d.field)) batcher.field(target, d.field, d.kind, true);
  batcher.status(target, diff.primaryStatus, diff.candidateStatus);
  batcher.latency(target, pair.primary.latencyMs, pair.candidate.latencyMs);
  // One primary answer is paired with every shadow of the route; learn from it only once.
  // Sampled: a noise rate is estimated as well from a few hundred observations a second as from all.
  if (!learned.has(pair.primary) && learnBudget.take()) {
    learned.add(pair.primary);
    learnRepeatNoise(pair, shadow, target, batcher, repeat);
  }
  recordExamples(pair, shadow, diff, target, batcher);
}

/** Repeats of the same safe request to the primary teach which fields change on their own. */
function learnRepeatNoise(
  pair: ComparePair,
  shadow: CompiledShadow,
  target: DiffTarget,
  batcher: DiffBatcher,
  repeat: RepeatLearner,
): void {
  if (!SAFE.has(pair.method) || pair.primary.status < 200 || pair.primary.status >= 300) return;
  const json = parseJson(pair.primary, shadow.rules.maxBody);
  if (json === undefined) return;
  const seen = repeat.noiseFromRepeat(repeatKey(pair.method, `${pair.route}${pair.path}`), flattenLeaves(json, shadow.rules));
  const changed = new Set(seen.differed);
  // Route-wide ('*'): repeat noise is a property of the primary, whichever shadow is compared.
  for (const field of seen.compared) batcher.noise({ ...target, shadow: '*' }, field, changed.has(field));
}

function recordExamples(pair: ComparePair, shadow: CompiledShadow, diff: PairDiff, target: DiffTarget, batcher: DiffBatcher): void {
  const wanted = diff.fields.filter((f) => batcher.wantsExample(target, f.field, f.kind));
  if (wanted.length === 0) return;
  const primaryBody = exampleBody(pair.primary, shadow);
  const candidateBody = exampleBody(pair.candidate, shadow);
  const paths = diff.fields.map((f) => f.field);
  for (const f of wanted) {
    batcher.example({
      route: pair.route,
      shadow: pair.shadow,
      endpoint: diff.endpoint,
      field: f.field,
      kind: f.kind,
      at: pair.at,
      requestId: pair.requestId,
      traceId: pair.traceId,
      method: pair.method,
      path: pair.path,
      primaryStatus: diff.primaryStatus,
      candidateStatus: diff.candidateStatus,
      primaryBody,
      candidateBody,
      paths,
      primaryLatencyMs: Math.round(pair.primary.latencyMs * 100) / 100,
      candidateLatencyMs: Math.round(pair.candidate.latencyMs * 100) / 100,
    });
  }
}

function decoded(res: CapturedResponse, maxBody: number): Buffer | undefined {
  const d = decodedOf(res, maxBody);
  return d.ok ? d.body : undefined;
}

/** Decoded and parsed once per capture (parsed.ts), however many shadows and examples read it. */
function parseJson(res: CapturedResponse, maxBody: number): unknown {
  return jsonOf(res, maxBody)?.value;
}

/** A body as stored in an example: decoded, redacted when JSON, capped. */
function exampleBody(res: CapturedResponse, shadow: CompiledShadow): string {
  if (res.error) return `(no response: ${res.error})`;
  const json = parseJson(res, shadow.rules.maxBody);
  if (json !== undefined) return clip(JSON.stringify(redactJson(json, shadow.redact), null, 2));
  const body = decoded(res, shadow.rules.maxBody);
  if (!body) return `(${res.bodyBytes} bytes, not decodable)`;
  const text = body.toString('utf8');
  return /[\u0000-\u0008\u000e-\u001f]/.test(text.slice(0, 512)) ? `(${res.bodyBytes} bytes of binary)` : clip(text);
}

function clip(text: string): string {
  return text.length > EXAMPLE_BODY_MAX ? `${text.slice(0, EXAMPLE_BODY_MAX)}\n… (truncated)` : text;
}
