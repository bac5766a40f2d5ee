/**
 * Decides, per request, which shadows get a copy, tees the request body (bounded) when writes are
 * mirrored, sends the copies at the same moment as the primary, and pairs each shadow's response
 * with the captured primary. Every skip has a reason and is counted; nothing here can delay, fail
 * or alter the client's response.
 */
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import type { CapturedResponse, ComparePair } from '../compare/types.js';
import { BUCKETS, bucketOf } from '../routing/hash.js';
import type { Prepared } from '../ingress/prepare.js';
import { teeBody } from './body-tee.js';
import { createCapture, type CaptureSink } from './capture.js';
import { SHADOW_EXPIRED, SHADOW_OVER_BUDGET, SHADOW_POOL_CLOSED, type ShadowDispatcher } from './dispatcher.js';
import type { CompiledShadow } from './shadow-spec.js';
import type { SkipReason } from './skip-reasons.js';
import type { ExchangeTracker } from '../telemetry/hooks.js';
import { setHeader } from '../forward/headers.js';
import { FL_CLIENT_ABORTED } from '../errors.js';
import { parseTraceparent } from '../telemetry/traceparent.js';

/** Dispatcher "errors" that are not the shadow's fault: the pair is skipped with this reason, not compared. */
const DISPATCH_SKIPS: Readonly<Record<string, SkipReason>> = {
  [SHADOW_POOL_CLOSED]: 'reload',
  [SHADOW_OVER_BUDGET]: 'bandwidth',
  [SHADOW_EXPIRED]: 'queue_expired',
};

/** Where completed pairs and skips go (the compare pipeline). */
export interface PairSink {
  /** A primary/candidate pair; `noise` pairs compare primary with a second copy of control. */
  pair(pair: ComparePair, shadow: CompiledShadow, kind: 'shadow' | 'noise'): void;
  /** False while the compare stage is saturated: copies are still sent, but not captured or paired. */
  accepting(): boolean;
  /**
   * A captured copy was sent: it counts against the compare stage's room until its answer is in
   * (`release`), so copies that would only be dropped at pairing aren't captured at all.
   */
  reserve?(): void;
  /** The reserved copy's answer is in (it is paired or skipped next). */
  release?(): void;
  skip(route: string, shadow: string, reason: SkipReason): void;
}

/** What the forwarder needs for a mirrored request. */
export interface MirrorPlan {
  /** Captures the primary response as it streams to the client (undefined when not compared). */
  readonly capture: CaptureSink | undefined;
  /** The request body to forward instead of `req` (a tee), when writes are mirrored. */
  readonly body: Readable | undefined;
}

/** Mirror dependencies (long-lived across reloads). */
export interface MirrorDeps {
  readonly dispatcher: ShadowDispatcher;
  readonly sink: PairSink;
}

const TRACEPARENT = /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/;

/**
 * Plans mirroring for a prepared request; undefined when nothing is mirrored (the common, free case).
 * @example const plan = beginMirror(req, prepared, deps); forward(..., { capture: plan?.capture, body: plan?.body })
 */
export function beginMirror(req: IncomingMessage, p: Prepared, deps: MirrorDeps, tracker?: ExchangeTracker): MirrorPlan | undefined {
  const method = req.method ?? 'GET';
  let chosen: CompiledShadow[] | undefined;
  for (const s of p.route.shadows) {
    if (s.arm !== '*' && s.arm !== p.arm) continue;
    // At 100% there is nothing to sample: skip the hash.
    if (s.sampleBelow < BUCKETS && bucketOf(`mirror:${s.name}`, p.requestId) >= s.sampleBelow) continue;
    if (!s.methods.has(method)) {
      deps.sink.skip(p.route.name, s.name, 'method');
      continue;
    }
    // A saturated shadow would drop the copy anyway: skip building it (headers, capture, body tee).
    const refused = deps.dispatcher.refusal(s.key, s.concurrency, s.queue);
    if (refused) {
      deps.sink.skip(p.route.name, s.name, refused);
      continue;
    }
    (chosen ??= []).push(s);
  }
  if (!chosen) return undefined;

  const declared = req.headers['content-length'];
  const hasBody = p.hasBody;
  if (hasBody && declared !== undefined) {
    chosen = chosen.filter((s) => {
      if (Number(declared) <= s.maxBody) return true;
      deps.sink.skip(p.route.name, s.name, 'body_too_large');
      return false;
    });
    if (chosen.length === 0) return undefined;
  }

  const startedAt = performance.now();
  // When comparing can't keep up, copies still go out (the dark build still gets its load) but the
  // primary isn't captured and nothing is paired: counted as compare_dropped.
  const compare = deps.sink.accepting();
  const capture = compare
    ? createCapture(
        maxOf(chosen, (s) => s.rules.maxBody),
        startedAt,
      )
    : undefined;
  // Only a compared copy is paired: a copy sent while comparing is saturated needs no pair.
  const base = capture ? pairBase(req, p, tracker?.traceId) : undefined;
  // body: null when the request has none, undefined when it outgrew every shadow's cap.
  const sendAll = (body: Buffer | null | undefined) => {
    for (const s of chosen!) {
      if (body === undefined || (body && body.length > s.maxBody)) {
        deps.sink.skip(p.route.name, s.name, 'body_too_large');
        continue;
      }
      send(deps, s, 'shadow', s.upstream, req, p, body ?? null, capture, base, tracker);
      if (s.noise) send(deps, s, 'noise', s.noise, req, p, body ?? null, capture, base, tracker);
    }
  };
  if (!hasBody) {
    sendAll(null);
    return capture ? { capture, body: undefined } : undefined;
  }
  return {
    capture,
    body: teeBody(
      req,
      maxOf(chosen, (s) => s.maxBody),
      sendAll,
      () => chosen!.forEach((s) => deps.sink.skip(p.route.name, s.name, 'client_aborted')),
    ),
  };
}

type PairBase = Omit<ComparePair, 'shadow' | 'primary' | 'candidate'>;

function pairBase(req: IncomingMessage, p: Prepared, traceId: string | undefined): PairBase {
  // The normalized target: reports group by the path that was routed and forwarded.
  const url = p.path;
  const q = url.indexOf('?');
  const tp = req.headers.traceparent;
  return {
    route: p.route.name,
    method: req.method ?? 'GET',
    path: q === -1 ? url : url.slice(0, q),
    routeTemplate: p.route.template,
    requestId: p.requestId,
    traceId: traceId ?? (typeof tp === 'string' ? TRACEPARENT.exec(tp)?.[1] : undefined),
    at: Date.now(),
  };
}

function send(
  deps: MirrorDeps,
  s: CompiledShadow,
  kind: 'shadow' | 'noise',
  upstream: CompiledShadow['upstream'],
  req: IncomingMessage,
  p: Prepared,
  body: Buffer | null,
  capture: CaptureSink | undefined,
  base: PairBase | undefined,
  tracker: ExchangeTracker | undefined,
): void {
  const span = tracker?.shadow?.(s.name, kind);
  const headers = shadowHeaders(p.headers, req.headers.host, s, kind);
  if (span?.traceparent) setHeader(headers, 'traceparent', span.traceparent);
  // Paired once both sides are in, without a promise per side: whichever settles last pairs them.
  // Both callbacks run from promise jobs (capture.onDone, the dispatcher's), never inside the primary's
  // exchange. The shadow always settles (it has its own timeout).
  let primary: CapturedResponse | undefined;
  let candidate: CapturedResponse | undefined;
  const paired = () => {
    if (primary!.error === FL_CLIENT_ABORTED.code) return deps.sink.skip(p.route.name, s.name, 'client_aborted');
    const skip = candidate!.error === undefined ? undefined : DISPATCH_SKIPS[candidate!.error];
    if (skip) return deps.sink.skip(p.route.name, s.name, skip);
    const spans = sampledSpans(tracker?.traceparent, span?.traceparent);
    deps.sink.pair({ ...base!, shadow: s.name, ...(spans ? { spans } : {}), primary: primary!, candidate: candidate! }, s, kind);
  };
  // Reserved before submit (whose onDone releases it), released at once when refused. The shadow
  // always answers (its own timeout, expiry, pool close), so a reservation can't leak.
  if (capture) deps.sink.reserve?.();
  const refused = deps.dispatcher.submit({
    key: kind === 'shadow' ? s.key : s.noiseKey,
    route: p.route.name,
    shadow: s.name,
    kind,
    upstream,
    method: req.method ?? 'GET',
    path: p.path,
    headers,
    body,
    timeoutMs: s.timeoutMs,
    concurrency: s.concurrency,
    queue: s.queue,
    captureCap: s.rules.maxBody,
    // Not compared: the copy is still sent and read (cut at the same cap), but its body isn't kept.
    discard: capture === undefined,
    bytesPerSecond: s.bytesPerSecond,
    onDone: capture
      ? (res) => {
          deps.sink.release?.();
          span?.end(res);
          candidate = res;
          if (primary) paired();
        }
      : span
        ? (res) => span.end(res)
        : ignore,
  });
  if (refused) {
    if (capture) deps.sink.release?.();
    return deps.sink.skip(p.route.name, s.name, refused);
  }
  if (!capture) return deps.sink.skip(p.route.name, s.name, 'compare_dropped');
  capture.onDone((res) => {
    primary = res;
    if (candidate) paired();
  });
}

const ignore = (): void => undefined;

/** The largest `of(s)` over the chosen shadows (no array and spread per mirrored request). */
function maxOf(chosen: readonly CompiledShadow[], of: (s: CompiledShadow) => number): number {
  let max = Number.NEGATIVE_INFINITY;
  for (const s of chosen) max = Math.max(max, of(s));
  return max;
}

/** The span ids sent to the primary and the copy, when both were sent and the trace is sampled. */
function sampledSpans(primary: string | undefined, copy: string | undefined): ComparePair['spans'] {
  const p = parseTraceparent(primary);
  const c = parseTraceparent(copy);
  return p?.sampled && c?.sampled ? { primary: p.spanId, candidate: c.spanId } : undefined;
}

/** The primary's upstream headers, re-aimed at the shadow: original Host, rewrites, a marker. */
function shadowHeaders(primary: readonly string[], clientHost: string | undefined, s: CompiledShadow, kind: 'shadow' | 'noise'): string[] {
  const out: string[] = [];
  // The common shadow rewrites no headers: then only Host is taken out, found by its length first
  // (no lower-casing of every name).
  const rewrites = s.removeHeaders.size > 0 || s.setHeaders.length > 0;
  for (let i = 0; i < primary.length; i += 2) {
    const raw = primary[i]!;
    if (!rewrites) {
      if (raw.length === 4 && raw.toLowerCase() === 'host') continue;
    } else {
      const name = raw.toLowerCase();
      if (name === 'host' || s.removeHeaders.has(name) || s.setHeaders.some(([k]) => k === name)) continue;
    }
    out.push(raw, primary[i + 1]!);
  }
  const host = kind === 'shadow' ? (s.host ?? clientHost) : clientHost;
  if (host) out.push('host', host);
  for (const [k, v] of s.setHeaders) out.push(k, v);
  out.push('x-fieldlab-shadow', kind === 'shadow' ? '1' : 'noise');
  return out;
}
