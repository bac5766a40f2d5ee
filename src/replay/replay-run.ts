/**
 * One replay run: reads recorded samples page by page in id order, sends each to the candidate at
 * the pacer's rate through the shadow dispatcher (bounded concurrency, timeouts, the capture the
 * mirror uses), and pairs the candidate's answer with the recorded one in the compare pipeline —
 * the same comparators, noise learning and aggregates as live shadow diffs. After every page it
 * waits for the page's comparisons to be stored, then moves the checkpoint, so a run that stops
 * anywhere resumes exactly after the last stored comparison. With a noise copy (the route's
 * `noiseFrom`), a request the live mirror would have sent it (the shadow's `methods`) goes to the
 * copy too, and the recorded answer paired with the copy's is a noise pair, as live.
 */
import type { ComparePipeline } from '../compare/pipeline.js';
import type { CapturedResponse } from '../compare/types.js';
import type { Upstream } from '../forward/upstream.js';
import type { ShadowDispatcher } from '../mirror/dispatcher.js';
import type { CompiledShadow } from '../mirror/shadow-spec.js';
import { REDACTED } from '../compare/redact.js';
import type { RedactRules } from '../record/redact-sample.js';
import type { RecordQuery, RecordStore, StoredSample } from '../storage/record-types.js';
import type { Pacer } from './pacer.js';
import { replayPair } from './replay-pair.js';

/** How a run went. */
export interface ReplaySummary {
  /** Samples selected (after the checkpoint) when the run started. */
  readonly selected: number;
  /** Samples sent and compared in this run. */
  readonly replayed: number;
  /** Of those, candidate exchanges that failed (connect, timeout, reset): compared as errors. */
  readonly candidateErrors: number;
  /** Samples the dispatcher refused (it never does at the run's own concurrency; counted anyway). */
  readonly refused: number;
  /** The last id whose comparison is stored (the checkpoint). */
  readonly lastId: number;
  /** Requests also sent to the noise copy, and those of them that failed there (not paired). */
  readonly noiseSent: number;
  readonly noiseErrors: number;
}

/** What a run needs. */
export interface ReplayDeps {
  readonly records: Pick<RecordStore, 'readRecords' | 'countRecords'>;
  readonly pipeline: Pick<ComparePipeline, 'pair' | 'idle' | 'accepting'>;
  /** Stores the pipeline's aggregates now. */
  flushDiffs(): Promise<void>;
  readonly dispatcher: ShadowDispatcher;
  readonly candidate: Upstream;
  /** The compare rules and the report's shadow name (`replay:<origin>`). */
  readonly shadow: CompiledShadow;
  readonly redact: RedactRules;
  readonly pacer: Pacer;
  /** Called after each stored page with the progress so far (the checkpoint). */
  onPage(s: ReplaySummary): void;
  /** Called after each compared request. */
  onProgress?(s: ReplaySummary): void;
  /** Extra request headers for the candidate (`--header`), replacing recorded ones of the same name. */
  readonly headers?: readonly (readonly [string, string])[];
  /** A second copy of control (`noiseFrom`) and the methods the live mirror sends it. */
  readonly noise?: { readonly upstream: Upstream; readonly methods: ReadonlySet<string> };
}

/** What to replay. */
export interface ReplayPlan {
  readonly query: RecordQuery;
  /** Stop after this many samples (default: all). */
  readonly limit?: number;
  readonly concurrency: number;
  readonly timeoutMs: number;
  readonly routeTemplate: string | undefined;
}

const PAGE = 100;

/**
 * Runs the replay to its end (or `limit`); never throws for a candidate's failure, only for the store's.
 * @example const summary = await runReplay(deps, { query: { route: 'checkout', afterId: 0 }, concurrency: 8, timeoutMs: 5000, routeTemplate: undefined })
 */
export async function runReplay(deps: ReplayDeps, plan: ReplayPlan): Promise<ReplaySummary> {
  const total = await deps.records.countRecords(plan.query);
  const selected = plan.limit === undefined ? total : Math.min(total, plan.limit);
  let lastId = plan.query.afterId ?? 0;
  let replayed = 0;
  let candidateErrors = 0;
  let refused = 0;
  let noiseSent = 0;
  let noiseErrors = 0;
  const summary = (): ReplaySummary => ({ selected, replayed, candidateErrors, refused, lastId, noiseSent, noiseErrors });
  while (replayed + refused < selected) {
    const want = Math.min(PAGE, selected - replayed - refused);
    const page = await deps.records.readRecords({ ...plan.query, afterId: lastId, limit: want });
    if (page.length === 0) break;
    const running = new Set<Promise<void>>();
    for (const s of page) {
      while (running.size >= plan.concurrency || !deps.pipeline.accepting()) {
        if (running.size > 0) await Promise.race(running);
        else await deps.pipeline.idle();
      }
      await deps.pacer.next();
      const noise = deps.noise?.methods.has(s.method) ? deps.noise.upstream : undefined;
      const copy = noise
        ? send(deps, plan, s, noise, deps.shadow.noiseKey).then((res) => {
            if (res === undefined) return;
            noiseSent++;
            // A failed copy says nothing about which fields change on their own: not paired.
            if (res.error !== undefined) return void noiseErrors++;
            deps.pipeline.pair(
              replayPair(s, deps.shadow.name, res, deps.redact, deps.shadow.rules.maxBody, plan.routeTemplate),
              deps.shadow,
              'noise',
            );
          })
        : Promise.resolve();
      const done = send(deps, plan, s, deps.candidate, deps.shadow.key).then(async (res) => {
        await copy;
        running.delete(done);
        if (res === undefined) return void refused++;
        replayed++;
        if (res.error !== undefined) candidateErrors++;
        deps.pipeline.pair(
          replayPair(s, deps.shadow.name, res, deps.redact, deps.shadow.rules.maxBody, plan.routeTemplate),
          deps.shadow,
          'shadow',
        );
        deps.onProgress?.(summary());
      });
      running.add(done);
    }
    await Promise.all(running);
    // The page's comparisons are stored before the checkpoint moves past them.
    await deps.pipeline.idle();
    await deps.flushDiffs();
    lastId = page[page.length - 1]!.id;
    deps.onPage(summary());
  }
  return summary();
}

/** Sends one sample to `upstream`; resolves to its answer, or undefined when the dispatcher refused it. */
function send(deps: ReplayDeps, plan: ReplayPlan, s: StoredSample, upstream: Upstream, key: string): Promise<CapturedResponse | undefined> {
  const body = s.requestBody === null ? null : Buffer.from(s.requestBody, 'base64');
  return new Promise((resolve) => {
    const refusal = deps.dispatcher.submit({
      key,
      route: s.route,
      shadow: deps.shadow.name,
      kind: key === deps.shadow.key ? 'shadow' : 'noise',
      upstream,
      method: s.method,
      path: s.target,
      headers: requestHeaders(s, body, deps.headers ?? []),
      body,
      timeoutMs: plan.timeoutMs,
      concurrency: plan.concurrency,
      queue: plan.concurrency,
      captureCap: deps.shadow.rules.maxBody,
      bytesPerSecond: 0,
      onDone: resolve,
    });
    if (refusal) resolve(undefined);
  });
}

/**
 * The recorded request headers for the candidate: redacted values are not sent (a "[redacted]"
 * credential is no credential), `--header` values replace recorded ones, the body's length is the
 * replayed body's, and a marker says it is a replay.
 */
function requestHeaders(s: StoredSample, body: Buffer | null, extra: readonly (readonly [string, string])[]): string[] {
  const replaced = new Set(extra.map(([k]) => k.toLowerCase()));
  const out: string[] = [];
  for (const [k, v] of s.requestHeaders) {
    if (v === REDACTED || replaced.has(k) || k === 'content-length' || k === 'transfer-encoding') continue;
    out.push(k, v);
  }
  for (const [k, v] of extra) out.push(k.toLowerCase(), v);
  if (body !== null) out.push('content-length', String(body.length));
  out.push('x-fieldlab-replay', '1');
  return out;
}
