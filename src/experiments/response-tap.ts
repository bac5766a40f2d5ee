/**
 * Goals that depend on the response (a header, a JSON field, or a value to sum) read it through an
 * undici-style decorating handler that passes every callback on unchanged: it keeps references to
 * at most 64 KiB of body chunks (no copy) and evaluates only after the response has been handed on
 * complete, in a later macrotask, so the client's response is never held up or altered. Bounded:
 * at most `maxBodies` responses are buffered at once; the rest are skipped and counted, as are
 * bodies that are too large, not JSON, or undecodable.
 */
import type { IncomingMessage } from 'node:http';
import type { Dispatcher } from 'undici';
import type { Snapshot } from '../config/compile.js';
import { decodeBody } from '../compare/decode.js';
import { type Controller, PassThroughHandler, type ResponseHeaders } from '../forward/decorator.js';
import type { ForwardExtras, HandlerDecorator } from '../forward/forward-types.js';
import type { Prepared } from '../ingress/prepare.js';
import type { ExperimentRecorder } from './recorder.js';
import { pathOf, unitFor } from './recorder.js';
import { experimentsOf, requestMatches, statusMatches, type GoalSpec } from './spec.js';

/** The most response body bytes read for a goal. */
export const MAX_GOAL_BODY = 64 * 1024;

/** Why a response-dependent goal could not be evaluated. */
export interface TapStats {
  readonly tapped: number;
  /** Too many responses buffered at once. */
  readonly busy: number;
  /** Body over MAX_GOAL_BODY, not JSON, or not decodable. */
  readonly unreadable: number;
}

/** Builds the tap for a request, or undefined when no response-dependent goal could match it. */
export type ResponseTap = (req: IncomingMessage, p: Prepared) => HandlerDecorator | undefined;

/**
 * Creates the tap factory the request handler calls once per request.
 * @example const tap = createResponseTap({ recorder, current: config.current }); forward(req, res, p, limits, x, withTap(extras, tap(req, p)))
 */
export function createResponseTap(deps: {
  readonly recorder: Pick<ExperimentRecorder, 'goal'>;
  readonly current: () => Snapshot;
  readonly maxBodies?: number;
}): { tap: ResponseTap; stats(): TapStats } {
  const maxBodies = deps.maxBodies ?? 256;
  let buffering = 0;
  const counts = { tapped: 0, busy: 0, unreadable: 0 };
  const tap: ResponseTap = (req, p) => {
    const exps = experimentsOf(deps.current());
    if (exps.empty) return undefined;
    const method = req.method ?? 'GET';
    const path = pathOf(p.path);
    let goals: GoalSpec[] | undefined;
    for (const g of exps.goalsOn(p.route.name)) {
      if ((g.header !== undefined || g.needsBody) && requestMatches(g, method, path)) (goals ??= []).push(g);
    }
    if (!goals) return undefined;
    const at = Date.now();
    const source = { key: p.assignment.key, forced: p.assignment.forced, headers: req.headers, target: p.path, clientIp: p.clientIp };
    const units = goals.map((g) => unitFor(exps.byRoute.get(g.experiment), p.route.name, source));
    counts.tapped++;
    const record = (status: number, headers: ResponseHeaders, body: Buffer | undefined) => {
      let json: unknown;
      let parsed = false;
      goals.forEach((g, i) => {
        const unit = units[i];
        if (unit === undefined || !statusMatches(g, status) || !headerMatches(g, headers)) return;
        if (!g.needsBody) return deps.recorder.goal(g, unit, at, 0);
        if (!parsed) {
          parsed = true;
          json = body === undefined ? undefined : parseJson(body, headers);
          if (json === undefined) counts.unreadable++;
        }
        if (json === undefined) return;
        if (g.json && fieldOf(json, g.json.path) !== g.json.equals) return;
        if (!g.value) return deps.recorder.goal(g, unit, at, 0);
        const v = fieldOf(json, g.value);
        const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : Number.NaN;
        if (Number.isFinite(n)) deps.recorder.goal(g, unit, at, n);
      });
    };
    const wantsBody = goals.some((g) => g.needsBody);
    return {
      wrap: (inner) =>
        new TapHandler(inner, wantsBody, {
          claim: () => {
            if (buffering >= maxBodies) {
              counts.busy++;
              return false;
            }
            buffering++;
            return true;
          },
          release: () => void buffering--,
          done: record,
        }),
    };
  };
  return { tap, stats: () => ({ ...counts }) };
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
  claim(): boolean;
  release(): void;
  done(status: number, headers: ResponseHeaders, body: Buffer | undefined): void;
}

/** Sees the response on its way; evaluates after the inner handler has ended it. */
class TapHandler extends PassThroughHandler {
  readonly #hooks: TapHooks;
  #wantsBody: boolean;
  #status = 0;
  #headers: ResponseHeaders = {};
  #chunks: Buffer[] | undefined;
  #kept = 0;

  constructor(inner: Dispatcher.DispatchHandler, wantsBody: boolean, hooks: TapHooks) {
    super(inner);
    this.#wantsBody = wantsBody;
    this.#hooks = hooks;
  }

  override onResponseStart(controller: Controller, status: number, headers: ResponseHeaders, statusMessage?: string): void {
    if (status >= 200) {
      this.#status = status;
      this.#headers = headers;
      const length = Number(headers['content-length'] ?? 0);
      if (this.#wantsBody && length <= MAX_GOAL_BODY && this.#hooks.claim()) this.#chunks = [];
    }
    super.onResponseStart(controller, status, headers, statusMessage);
  }

  override onResponseData(controller: Controller, chunk: Buffer): void {
    if (this.#chunks) {
      this.#kept += chunk.length;
      if (this.#kept <= MAX_GOAL_BODY) this.#chunks.push(chunk);
      else this.#drop();
    }
    super.onResponseData(controller, chunk);
  }

  override onResponseEnd(controller: Controller, trailers: ResponseHeaders): void {
    super.onResponseEnd(controller, trailers);
    const chunks = this.#chunks;
    const status = this.#status;
    const headers = this.#headers;
    // After the client's response is complete, and out of undici's callback.
    setImmediate(() => {
      try {
        this.#hooks.done(status, headers, chunks ? Buffer.concat(chunks) : undefined);
      } catch {
        // A goal that can't be evaluated is lost, never the process (nothing here is the client's).
      } finally {
        if (chunks) this.#hooks.release();
      }
    });
  }

  override onResponseError(controller: Controller, err: Error): void {
    this.#drop();
    super.onResponseError(controller, err);
  }

  #drop(): void {
    if (!this.#chunks) return;
    this.#chunks = undefined;
    this.#wantsBody = false;
    this.#hooks.release();
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
