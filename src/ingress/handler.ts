/**
 * One request's whole path, on one screen: take the current snapshot, prepare (route → sticky key →
 * arm → endpoint → headers), draw a fault (`fault:`), begin the exchange (observers), plan mirroring
 * to shadows (which pair up and get compared off the request path), forward with streaming; the
 * exchange ends and logs itself.
 * Never throws: failures become coded local replies.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Snapshot } from '../config/compile.js';
import { FL_INTERNAL } from '../errors.js';
import { type ResponseTap, withTap } from '../experiments/response-tap.js';
import { isResponseFault } from '../faults/decide.js';
import { drawFault, injectFault } from '../faults/inject.js';
import { withResponseFault } from '../faults/response-fault.js';
import { forward } from '../forward/forwarder.js';
import { beginMirror, type MirrorDeps } from '../mirror/mirror.js';
import { sendLocalReply } from '../net/local-reply.js';
import type { RecordTap } from '../record/record-tap.js';
import { beginPrepared, type Exchange, endRejected, type LifecycleDeps } from './lifecycle.js';
import { type Prepared, prepareRequest } from './prepare.js';

/** What the handler needs from the composition root. */
export interface HandlerDeps extends LifecycleDeps {
  /** The live snapshot; read once per request. */
  current(): Snapshot;
  /** True once shutdown started: responses then ask clients to close their connection. */
  draining(): boolean;
  /** Shadow dispatch and pairing; only touched by routes that have `shadow:`. */
  readonly mirror: MirrorDeps;
  /** Experiment goals that read the response (a header, a JSON field); undefined without any. */
  readonly responseTap?: ResponseTap | undefined;
  /** Recording for `fieldlab replay`; only called on routes that have `record:`. */
  readonly record?: RecordTap | undefined;
}

/**
 * Creates the `request` listener for the proxy server.
 * @example http.createServer(createRequestHandler({ current, log, draining, mirror, observers, observerGuard }))
 */
export function createRequestHandler(deps: HandlerDeps): (req: IncomingMessage, res: ServerResponse) => void {
  return (req, res) => {
    const started = performance.now();
    const snap = deps.current();
    const access = snap.config.log.access;
    if (deps.draining()) res.setHeader('connection', 'close');
    try {
      const p = prepareRequest(req, snap);
      if (!p.ok) {
        if (p.route?.exposeArm && p.arm) res.setHeader('x-fieldlab-arm', p.arm);
        sendLocalReply(res, p.error, p.requestId);
        return endRejected(deps, req, p, started, access);
      }
      // Fault injection (`fault:`) is drawn here, so its kind is known to the observers from the start.
      const fault = p.route.fault ? drawFault(p, req) : undefined;
      if (fault) {
        const fp = { ...p, fault };
        const exchange = beginPrepared(deps, req, fp, started, access);
        return injectFault(fp, req, res, exchange, () => proceed(deps, req, res, fp, snap, exchange));
      }
      proceed(deps, req, res, p, snap, beginPrepared(deps, req, p, started, access));
    } catch (err) {
      // A bug must cost one request, not the process.
      deps.log.error({ err }, 'request handler failed');
      sendLocalReply(res, FL_INTERNAL, undefined);
    }
  };
}

/** Mirroring, goal taps and recording, then the forward: the path of a request once it is admitted. */
function proceed(deps: HandlerDeps, req: IncomingMessage, res: ServerResponse, p: Prepared, snap: Snapshot, exchange: Exchange): void {
  const mirror = p.route.shadows.length > 0 ? beginMirror(req, p, deps.mirror, exchange.tracker) : undefined;
  const tapped = withTap(mirror && { body: mirror.body, decorator: mirror.capture }, deps.responseTap?.(req, p));
  // A response fault (first-byte delay, throttle) rides next to the forward handler.
  const extras = p.fault && isResponseFault(p.fault) ? withResponseFault(tapped, p.route.name, p.fault) : tapped;
  forward(req, res, p, snap.config.limits, exchange, p.route.record && deps.record ? deps.record(req, p, extras) : extras);
}
