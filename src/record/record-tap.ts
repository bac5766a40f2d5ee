/**
 * The request path's side of recording, called once per request on a route with `record:`: it
 * decides by hash whether the unit (or request) is recorded, then reuses the mirror's machinery —
 * the bounded body tee (mirror/body-tee.ts) for the request and the capturing decorator
 * (mirror/capture.ts) for the primary's response — so the client's bytes stream on unchanged. The
 * captured exchange goes to the recorder's queue once both sides are complete; everything that
 * keeps a request from being recorded is counted, nothing here can delay, alter or fail it.
 */
import type { IncomingMessage } from 'node:http';
import type { ForwardExtras } from '../forward/forward-types.js';
import type { Prepared } from '../ingress/prepare.js';
import { withTap } from '../experiments/response-tap.js';
import { teeBody } from '../mirror/body-tee.js';
import { createCapture } from '../mirror/capture.js';
import { BUCKETS, bucketOf } from '../routing/hash.js';
import type { RequestRecorder } from './recorder.js';

/** Builds a request's forward extras with recording added (the extras unchanged when not recorded). */
export type RecordTap = (req: IncomingMessage, p: Prepared, extras: ForwardExtras | undefined) => ForwardExtras | undefined;

/**
 * A unit's (or request's) record bucket, 0–9999: `--segment units=0-5%` is a range of it.
 * @example recordBucket('seed', 'u-1') // 4711
 */
export function recordBucket(seed: string, key: string): number {
  return bucketOf(`record:${seed}`, key);
}

/**
 * Creates the tap. `maxInFlight` bounds the exchanges being captured at once, and `maxInFlightBytes`
 * what they may hold together (each up to twice `record.maxBody` in chunk references).
 * @example const tap = createRecordTap({ recorder }); forward(req, res, p, limits, exchange, p.route.record ? tap(req, p, extras) : extras)
 */
export function createRecordTap(deps: {
  readonly recorder: Pick<RequestRecorder, 'offer' | 'drop'>;
  readonly maxInFlight?: number;
  readonly maxInFlightBytes?: number;
}): RecordTap {
  const maxInFlight = deps.maxInFlight ?? 256;
  const maxInFlightBytes = deps.maxInFlightBytes ?? 64 * 2 ** 20;
  let inFlight = 0;
  // What the captures in flight may hold at most (both bodies at their cap), so memory stays bounded.
  let inFlightBytes = 0;
  return (req, p, extras) => {
    const spec = p.route.record;
    if (!spec) return extras;
    const method = req.method ?? 'GET';
    if (spec.methods && !spec.methods.has(method)) return extras;
    const key = spec.byUnit ? p.assignment.key : p.requestId;
    const bucket = recordBucket(p.route.seed, key);
    if (spec.sampleBelow < BUCKETS && bucket >= spec.sampleBelow) return extras;
    const route = p.route.name;
    const now = performance.now();
    const declared = req.headers['content-length'];
    const refused =
      inFlight >= maxInFlight || inFlightBytes + 2 * spec.maxBody > maxInFlightBytes
        ? 'busy'
        : !spec.budget.available(now)
          ? 'bandwidth'
          : p.hasBody && declared !== undefined && Number(declared) > spec.maxBody
            ? 'body_too_large'
            : undefined;
    if (refused) {
      deps.recorder.drop(route, refused);
      return extras;
    }

    inFlight++;
    inFlightBytes += 2 * spec.maxBody;
    const capture = createCapture(spec.maxBody, now);
    let body: ForwardExtras['body'];
    // null: no body; undefined: outgrew the cap; false: the client went away.
    const requestBody = new Promise<Buffer | null | undefined | false>((resolve) => {
      if (!p.hasBody) return resolve(null);
      body = teeBody(extras?.body ?? req, spec.maxBody, resolve, () => resolve(false));
    });
    const at = Date.now();
    const headers = withClientHost(p.headers, req.headers.host);
    capture.onDone(async (response) => {
      // A failed exchange may never read the body: don't wait for it.
      const copy = response.error !== undefined ? null : await settled(requestBody);
      inFlight--;
      inFlightBytes -= 2 * spec.maxBody;
      if (copy === false) return deps.recorder.drop(route, 'client_aborted');
      if (copy === undefined) return deps.recorder.drop(route, 'body_too_large');
      if (response.error !== undefined) return deps.recorder.drop(route, 'no_response');
      spec.budget.take((copy?.length ?? 0) + response.body.length, performance.now());
      deps.recorder.offer({
        route,
        spec,
        at,
        requestId: p.requestId,
        key,
        bucket,
        arm: p.arm,
        method,
        target: p.path,
        headers,
        requestBody: copy,
        requestType: req.headers['content-type'],
        requestEncoding: req.headers['content-encoding'],
        response,
      });
    });
    return { ...withTap(extras, capture), ...(body ? { body } : {}) };
  };
}

/** The upstream headers with the client's Host (replay, like a shadow, keeps it unless told otherwise). */
function withClientHost(headers: readonly string[], host: string | undefined): string[] {
  const out: string[] = [];
  for (let i = 0; i < headers.length; i += 2) if (headers[i]!.toLowerCase() !== 'host') out.push(headers[i]!, headers[i + 1]!);
  if (host) out.push('host', host);
  return out;
}

/** How long a complete response waits for the request body's copy before the sample is given up. */
const BODY_GRACE_MS = 10_000;

/** The body copy, or false when it did not complete within the grace (an upstream that answered early). */
function settled<T>(body: Promise<T>): Promise<T | false> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), BODY_GRACE_MS);
    timer.unref();
  });
  return Promise.race([body, late]).finally(() => clearTimeout(timer));
}
