/**
 * Injects a fault on the request path: draws it (decide.ts) or reads a signed QA request for one
 * (header.ts), admits it (kill switch,
 * maxActive), then answers with the configured status, resets the connection, holds the request
 * for the delay before it is forwarded, or forwards it at once for a response fault
 * (response-fault.ts). Never throws; every faulted exchange still ends through the
 * exchange lifecycle, so it is logged and observed like any other (with `fault` set, which
 * guardrails read to keep it out of the arm's evidence).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { FL_CLIENT_ABORTED, FL_FAULT_INJECTED, FL_INTERNAL } from '../errors.js';
import type { ForwardListener } from '../forward/forwarder.js';
import type { Prepared } from '../ingress/prepare.js';
import { sendLocalReply } from '../net/local-reply.js';
import { admitFault, endFault, holdDelay } from './control.js';
import { decideFault, type FaultDecision, isResponseFault } from './decide.js';
import { countHeader } from './fault-stats.js';
import { readFaultHeader } from './header.js';
import { decideRamp, rampLevel } from './ramp-level.js';
import { inRampSlice } from './ramp-spec.js';
import type { StickyInput } from '../routing/sticky.js';

/**
 * The fault this prepared request gets, if any (only call on a route with `fault:`).
 * @example const fault = p.route.fault ? drawFault(p, req) : undefined
 */
export function drawFault(p: Prepared, req: IncomingMessage): FaultDecision | undefined {
  const f = p.route.fault!;
  const route = p.route.name;
  // A signed QA request wins over the draw (any arm); a refused one is counted and ignored.
  const asked = f.header ? readFaultHeader(f, route, stickyInput(p, req), Math.floor(Date.now() / 1000)) : undefined;
  if (asked) countHeader(route, asked.result);
  // A unit in a running ramp's slice gets the ramp's level only; the others keep the route's fixed faults.
  const ramp = f.ramp && rampLevel(route) !== undefined && (!f.arms || f.arms.has(p.arm)) ? f.ramp : undefined;
  const d =
    asked?.decision ??
    (ramp && inRampSlice(ramp, p.route.seed, p.assignment.key)
      ? decideRamp(ramp, route, p.route.seed, p.assignment.key)
      : decideFault(f, p.route.seed, p.assignment.key, p.arm));
  return d && admitFault(route, d, f.maxActive);
}

function stickyInput(p: Prepared, req: IncomingMessage): StickyInput {
  const q = p.path.indexOf('?');
  return { headers: req.headers, query: q < 0 ? '' : p.path.slice(q + 1), clientIp: p.clientIp };
}

/**
 * Applies `p.fault`: aborts or resets now, or calls `proceed` after the delay.
 * @example injectFault(p, req, res, exchange, () => forward(req, res, p, limits, exchange))
 */
export function injectFault(
  p: Prepared & { readonly fault: FaultDecision },
  req: IncomingMessage,
  res: ServerResponse,
  exchange: ForwardListener,
  proceed: () => void,
): void {
  const route = p.route.name;
  const d = p.fault;
  if (d.kind === 'delay') {
    holdDelay(d.ms, () => {
      endFault(route);
      // The client may have left while held: nothing to forward for.
      if (res.destroyed || req.socket.destroyed) {
        exchange.forwarded({
          status: 499,
          code: FL_CLIENT_ABORTED.code,
          bytes: 0,
          upstreamMs: undefined,
        });
        return;
      }
      // Off the handler's stack now: a bug here must still cost one request, not the process.
      proceedSafely(p, res, exchange, proceed);
    });
    return;
  }
  if (isResponseFault(d)) {
    // Forwarded now; the fault acts on the response (response-fault.ts, added by the handler) and ends with it.
    if (!proceedSafely(p, res, exchange, proceed)) endFault(route);
    return;
  }
  endFault(route);
  if (d.kind === 'reset') {
    req.socket.destroy();
    exchange.forwarded({
      status: 0,
      code: FL_FAULT_INJECTED.code,
      bytes: 0,
      upstreamMs: undefined,
    });
    return;
  }
  const reply = p.route.fault!.abortReply!;
  // A new unit's sticky cookie still goes out: without it, its next request would be a new unit.
  for (const [k, v] of p.extraHeaders ?? []) res.appendHeader(k, v);
  sendLocalReply(res, reply, p.requestId);
  exchange.forwarded({
    status: reply.status,
    code: reply.code,
    bytes: 0,
    upstreamMs: undefined,
  });
}

/** Runs `proceed`; a bug in it costs this request a 500, not the process. False when it threw. */
function proceedSafely(p: Prepared, res: ServerResponse, exchange: ForwardListener, proceed: () => void): boolean {
  try {
    proceed();
    return true;
  } catch {
    sendLocalReply(res, FL_INTERNAL, p.requestId);
    exchange.forwarded({ status: FL_INTERNAL.status, code: FL_INTERNAL.code, bytes: 0, upstreamMs: undefined });
    return false;
  }
}
