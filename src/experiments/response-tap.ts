/**
 * What experiments read from responses, through an undici-style decorating handler that passes
 * every callback on unchanged: goals that depend on the response (a header, a JSON field, a value
 * to sum), and the null-branch check's per-endpoint status, size, latency and body digest. It keeps
 * references to at most 64 KiB of body chunks (no copy; 4 KiB when only the digest needs them) and
 * evaluates only after the response has been handed on complete, in a later macrotask, so the
 * client's response is never held up or altered. Bounded: at most `maxBodies` responses keep chunks
 * at once; the rest are evaluated without a body and counted, as are bodies that are too large, not
 * JSON, or undecodable.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Snapshot } from '../config/compile.js';
import { decodeBody } from '../compare/decode.js';
import { endpointOf } from '../compare/template.js';
import { type Controller, PassThroughHandler, type ResponseHeaders } from '../forward/decorator.js';
import type { ForwardExtras, HandlerDecorator } from '../forward/forward-types.js';
import type { Prepared } from '../ingress/prepare.js';
import type { NullBranchCollector } from './null-branch.js';
import type { ExperimentRecorder } from './recorder.js';
import { pathOf, unitFor } from './recorder.js';
import { experimentsOf, requestMatches, statusMatches, type GoalSpec } from './spec.js';

/** The most response body bytes read for a goal. */
export const MAX_GOAL_BODY = 64 * 1024;
/** The body prefix the null-branch digest covers. */
export const DIGEST_BYTES = 4096;

/** What the tap did. */
export interface TapStats {
  readonly tapped: number;
  /** Too many responses buffered at once: evaluated without the body. */
  readonly busy: number;
  /** Body over MAX_GOAL_BODY, not JSON, or not decodable. */
  readonly unreadable: number;
  /** Per experiment route: goals that needed the body and could not be evaluated (busy or unreadable). */
  readonly unreadGoals: ReadonlyMap<string, number>;
}

/** Builds the tap for a request, or undefined when nothing in the experiments needs its response. */
export type ResponseTap = (req: IncomingMessage, p: Prepared) => HandlerDecorator | undefined;

/** What the handler hands over once the response is complete. */
interface Seen {
  readonly status: number;
  readonly headers: ResponseHeaders;
  /** The kept prefix (undefined when no chunks were kept). */
  readonly body: Buffer | undefined;
  /** The body was longer than what was kept. */
  readonly truncated: boolean;
  readonly bytes: number;
}

/**
 * Creates the tap factory the request handler calls once per request.
 * @example const t = createResponseTap({ recorder, current: config.current, nullBranch }); forward(..., withTap(extras, t.tap(req, p)))
 */
export function createResponseTap(deps: {
  readonly recorder: Pick<ExperimentRecorder, 'goal'>;
  readonly current: () => Snapshot;
  readonly nullBranch?: Pick<NullBranchCollector, 'observe' | 'sample'>;
  readonly maxBodies?: number;
}): { tap: ResponseTap; stats(): TapStats } {
  const maxBodies = deps.maxBodies ?? 256;
  let buffering = 0;
  const counts = { tapped: 0, busy: 0, unreadable: 0 };
  const unreadGoals = new Map<string, number>();
  const claim = () => {
    if (buffering >= maxBodies) {
      counts.busy++;
      return false;
    }
    buffering++;
    return true;
  };
  const release = () => void buffering--;

  const tap: ResponseTap = (req, p) => {
    const exps = experimentsOf(deps.current());
    if (exps.empty) return undefined;
    const method = req.method ?? 'GET';
    const path = pathOf(p.path);
    let goals: GoalSpec[] | undefined;
    for (const g of exps.goalsOn(p.route.name)) {
      if ((g.header !== undefined || g.needsBody) && requestMatches(g, method, path)) (goals ??= []).push(g);
    }
    // The null-branch check watches the experiment route's own responses (not QA-forced ones).
    const nb =
      deps.nullBranch &&
      exps.byRoute.has(p.route.name) &&
      !p.assignment.forced &&
      !p.assignment.excluded &&
      deps.nullBranch.sample(p.route.name, p.arm)
        ? deps.nullBranch
        : undefined;
    if (!goals && !nb) return undefined;
    counts.tapped++;
    const at = Date.now();
    const started = performance.now();
    const source = {
      key: p.assignment.key,
      forced: p.assignment.forced,
      excluded: p.assignment.excluded,
      headers: req.headers,
      target: p.path,
      clientIp: p.clientIp,
    };
    const units = goals?.map((g) => unitFor(exps.byRoute.get(g.experiment), p.route.name, source));
    const keep = goals?.some((g) => g.needsBody) ? MAX_GOAL_BODY : nb ? DIGEST_BYTES : 0;
    const done = (seen: Seen) => {
      if (nb) {
        const digest = seen.body ? createHash('sha1').update(seen.body.subarray(0, DIGEST_BYTES)).digest('base64') : undefined;
        nb.observe(
          p.route.name,
          p.arm,
          endpointOf(method, p.path, p.route.template),
          seen.status,
          seen.bytes,
          performance.now() - started,
          digest,
        );
      }
      if (goals) recordGoals(goals, units!, seen);
    };
    const recordGoals = (gs: readonly GoalSpec[], us: readonly (string | undefined)[], seen: Seen) => {
      let json: unknown;
      let parsed = false;
      gs.forEach((g, i) => {
        const unit = us[i];
        if (unit === undefined || !statusMatches(g, seen.status) || !headerMatches(g, seen.headers)) return;
        if (!g.needsBody) return deps.recorder.goal(g, unit, at, 0);
        if (!parsed) {
          parsed = true;
          json = seen.body === undefined || seen.truncated ? undefined : parseJson(seen.body, seen.headers);
          if (json === undefined) counts.unreadable++;
        }
        if (json === undefined) return void unreadGoals.set(g.experiment, (unreadGoals.get(g.experiment) ?? 0) + 1);
        if (g.json && fieldOf(json, g.json.path) !== g.json.equals) return;
        if (!g.value) return deps.recorder.goal(g, unit, at, 0);
        const v = fieldOf(json, g.value);
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
        if (Number.isFinite(n)) deps.recorder.goal(g, unit, at, n);
      });
    };
    // A declared length over the cap is no use to goals; the digest still wants the prefix.
    const wantChunks = (length: number) => keep > 0 && (nb !== undefined || length <= keep) && claim();
    return { wrap: (inner) => new TapHandler(inner, keep, { wantChunks, release, done }) };
  };
  return { tap, stats: () => ({ ...counts, unreadGoals }) };
}

/**
 * Adds a decorator to a request's forward extras (the mirror's capture may already be there).
 * @example forward(req, res, p, limits, exchange, withTap(mirror && { decorator: mirror.capture }, tap(req, p)))
 */
export function withTap(extras: ForwardExtras | undefined, tap: HandlerDecorator | undefined): ForwardExtras | undefined {
  if (!tap) return extras;
  const inner = extras?.decorator;
  return { ...extras, decorator: inner ? { wrap: (h) => tap.wrap(inner.wrap(h)) } : tap };
}

interface TapHooks {
  wantChunks(declaredLength: number): boolean;
  release(): void;
  done(seen: Seen): void;
}

/** Sees the response on its way; evaluates after the inner handler has ended it. */
class TapHandler extends PassThroughHandler {
  readonly #hooks: TapHooks;
  readonly #keep: number;
  #status = 0;
  #headers: ResponseHeaders = {};
  #chunks: Buffer[] | undefined;
  #kept = 0;
  #bytes = 0;

  constructor(inner: Dispatcher.DispatchHandler, keep: number, hooks: TapHooks) {
    super(inner);
    this.#keep = keep;
    this.#hooks = hooks;
  }

  override onResponseStart(controller: Controller, status: number, headers: ResponseHeaders, statusMessage?: string): void {
    if (status >= 200) {
      this.#status = status;
      this.#headers = headers;
      if (this.#hooks.wantChunks(Number(headers['content-length'] ?? 0))) this.#chunks = [];
    }
    super.onResponseStart(controller, status, headers, statusMessage);
  }

  override onResponseData(controller: Controller, chunk: Buffer): void {
    this.#bytes += chunk.length;
    if (this.#chunks && this.#kept < this.#keep) {
      const take = Math.min(chunk.length, this.#keep - this.#kept);
      this.#chunks.push(take === chunk.length ? chunk : chunk.subarray(0, take));
      this.#kept += take;
    }
    super.onResponseData(controller, chunk);
  }

  override onResponseEnd(controller: Controller, trailers: ResponseHeaders): void {
    super.onResponseEnd(controller, trailers);
    const chunks = this.#chunks;
    const seen = {
      status: this.#status,
      headers: this.#headers,
      truncated: this.#bytes > this.#kept,
      bytes: this.#bytes,
    };
    // After the client's response is complete, and out of undici's callback.
    setImmediate(() => {
      try {
        this.#hooks.done({ ...seen, body: chunks ? Buffer.concat(chunks) : undefined });
      } catch {
        // A goal that can't be evaluated is lost, never the process (nothing here is the client's).
      } finally {
        if (chunks) this.#hooks.release();
      }
    });
  }

  override onResponseError(controller: Controller, err: Error): void {
    if (this.#chunks) {
      this.#chunks = undefined;
      this.#hooks.release();
    }
    super.onResponseError(controller, err);
  }
}

function headerMatches(g: GoalSpec, headers: ResponseHeaders): boolean {
  if (!g.header) return true;
  const v = headers[g.header.name];
  if (v === undefined) return false;
  return g.header.value === '*' || (Array.isArray(v) ? v.includes(g.header.value) : v === g.header.value);
}

function parseJson(body: Buffer, headers: ResponseHeaders): unknown {
  const clean: Record<string, string | string[]> = {};
  for (const k in headers) if (headers[k] !== undefined) clean[k] = headers[k]!;
  const decoded = decodeBody(body, clean, { maxBody: MAX_GOAL_BODY });
  if (!decoded.ok || decoded.cut) return undefined;
  try {
    return JSON.parse(decoded.body.toString('utf8')) as unknown;
  } catch {
    return undefined;
  }
}

function fieldOf(json: unknown, path: readonly string[]): unknown {
  let v = json;
  for (const k of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}
