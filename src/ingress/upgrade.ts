/**
 * Protocol upgrades: routed and assigned exactly like HTTP requests and run through the same exchange
 * lifecycle (observers, access log), then the 101 is relayed and the two sockets are piped both ways.
 * Only the protocols a route allows are tunnelled (`upgrades`, default websocket): after a 101 the pipe
 * carries bytes no route rule, log or guardrail sees, so anything else gets a coded refusal. A refusal
 * from the upstream (any non-101 answer) is relayed as it came, on a connection that then closes.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { Dispatcher } from 'undici';
import {
  FL_CLIENT_ABORTED,
  FL_INTERNAL,
  FL_UPGRADE_REFUSED,
  FL_UPSTREAM_QUEUE_FULL,
  FL_UPSTREAM_QUEUE_TIMEOUT,
  type FieldlabErrorDef,
} from '../errors.js';
import { acquire, release, withdraw } from '../forward/admission.js';
import { forwardStats } from '../forward/stats.js';
import { classifyUpstreamError } from '../forward/classify.js';
import { clientResponseHeaders } from '../forward/headers.js';
import { recordConnect } from '../forward/upstream.js';
import type { HandlerDeps } from './handler.js';
import { beginPrepared, endRejected, type Exchange } from './lifecycle.js';
import { sendRawReply } from '../net/local-reply.js';
import { type Prepared, prepareRequest } from './prepare.js';

type Headers = Record<string, string | string[] | undefined>;

function head(status: number, headers: Headers, extra: readonly (readonly [string, string])[] = []): string {
  let out = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\n`;
  for (const name in headers) {
    const v = headers[name];
    if (v === undefined) continue;
    for (const one of Array.isArray(v) ? v : [v]) out += `${name}: ${one}\r\n`;
  }
  for (const [k, v] of extra) out += `${k}: ${v}\r\n`;
  return `${out}\r\n`;
}

/**
 * True when every protocol the client offers (RFC 9110 §7.8: `name[/version]`, comma-separated) is
 * one the route allows; names compare case-insensitively.
 * @example upgradeAllowed('websocket', new Set(['websocket'])) // true
 */
export function upgradeAllowed(offer: string | undefined, allowed: ReadonlySet<string>): boolean {
  if (!offer || allowed.size === 0) return false;
  for (const part of offer.split(',')) {
    const name = part.trim().split('/')[0]!.toLowerCase();
    if (!allowed.has(name)) return false;
  }
  return true;
}

/**
 * Creates the server's `upgrade` listener.
 * @example server.on('upgrade', createUpgradeHandler(deps))
 */
export function createUpgradeHandler(deps: HandlerDeps): (req: IncomingMessage, socket: Duplex, headBytes: Buffer) => void {
  return (req, socket, headBytes) => {
    const client = socket as Socket;
    client.on('error', () => client.destroy());
    const started = performance.now();
    const snap = deps.current();
    const access = snap.config.log.access;
    try {
      const p = prepareRequest(req, snap);
      if (!p.ok) {
        endRejected(deps, req, p, started, access);
        return sendRawReply(client, p.error, p.requestId, p.route?.exposeArm && p.arm ? [['x-fieldlab-arm', p.arm]] : []);
      }
      if (!upgradeAllowed(req.headers.upgrade, p.route.upgrades)) {
        endRejected(
          deps,
          req,
          { ok: false, requestId: p.requestId, error: FL_UPGRADE_REFUSED, route: p.route, arm: p.arm },
          started,
          access,
        );
        return sendRawReply(client, FL_UPGRADE_REFUSED, p.requestId, armHeader(p));
      }
      // Upgrades count for metrics, rollups and guardrails like any exchange: 101 is a success.
      tunnel(client, req, headBytes, p, beginPrepared(deps, req, p, started, access));
    } catch (err) {
      deps.log.error({ err }, 'upgrade handler failed');
      sendRawReply(client, FL_INTERNAL);
    }
  };
}

function tunnel(client: Socket, req: IncomingMessage, headBytes: Buffer, p: Prepared, exchange: Exchange): void {
  let controller: Dispatcher.DispatchController | undefined;
  let sentAt = 0;
  let refusal = 0;
  let bytes = 0;
  const end = (status: number, def?: FieldlabErrorDef) =>
    exchange.forwarded({ status, code: def?.code, bytes, upstreamMs: sentAt && !def ? performance.now() - sentAt : undefined });
  // Admission as for HTTP (forward/admission.ts): an upgrade holds a connection slot from dispatch
  // until its 101 (the socket then leaves the pool) or its refusal ends, and waits in the same
  // bounded queue with the same timeout, so upgrades can't pile up in undici's unbounded queue.
  let slot = false;
  let timer: NodeJS.Timeout | undefined;
  const free = () => {
    if (!slot) return;
    slot = false;
    release(p.endpoint);
  };
  const waiter = { admitted: () => dispatch() };
  const refuse = (def: FieldlabErrorDef) => {
    // Our own 502/503/504 says which arm the client was on when the route exposes it, as for HTTP.
    sendRawReply(client, def, p.requestId, armHeader(p));
    end(def.status, def);
  };
  client.once('close', () => {
    if (timer) clearTimeout(timer);
    if (withdraw(p.endpoint, waiter)) return end(FL_CLIENT_ABORTED.status, FL_CLIENT_ABORTED);
    controller?.abort(new Error('client closed'));
  });
  const handler: Dispatcher.DispatchHandler = {
    onRequestStart(c) {
      controller = c;
      sentAt = performance.now();
    },
    onRequestUpgrade(_c, status, headers, upstream) {
      free();
      recordConnect(p.endpoint, true, Date.now());
      client.write(head(status, headers as Headers, p.extraHeaders));
      if (headBytes.length) upstream.write(headBytes);
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
      client.on('close', () => upstream.destroy());
      upstream.pipe(client).pipe(upstream);
      end(status);
    },
    onResponseStart(_c, status, headers) {
      if (status < 200) return;
      recordConnect(p.endpoint, true, Date.now());
      refusal = status;
      client.write(head(status, clientResponseHeaders(headers as Headers), [['connection', 'close']]));
    },
    onResponseData(_c, chunk) {
      bytes += chunk.length;
      client.write(chunk);
    },
    onResponseEnd() {
      free();
      client.end();
      end(refusal);
    },
    onResponseError(_c, err) {
      free();
      const { def, connectFailure } = classifyUpstreamError(err);
      if (connectFailure) recordConnect(p.endpoint, false, Date.now());
      // The refusal's head is already out: a second response would read as its body (and could
      // even fill its Content-Length), so cut the connection to make the truncation visible.
      if (refusal) {
        client.destroy();
        return end(refusal, def);
      }
      refuse(def);
    },
  };
  const dispatch = () => {
    slot = true;
    if (timer) clearTimeout(timer);
    if (client.destroyed) return free();
    p.endpoint.pool.dispatch(
      {
        method: (req.method ?? 'GET') as Dispatcher.HttpMethod,
        path: p.path,
        headers: p.headers,
        upgrade: String(req.headers.upgrade ?? 'websocket'),
        body: null,
      },
      handler,
    );
  };
  const admission = acquire(p.endpoint, waiter);
  if (admission === 'now') return dispatch();
  if (admission === 'full') {
    forwardStats.queueFull++;
    return refuse(FL_UPSTREAM_QUEUE_FULL);
  }
  timer = setTimeout(() => {
    if (!withdraw(p.endpoint, waiter)) return;
    forwardStats.queueTimeouts++;
    refuse(FL_UPSTREAM_QUEUE_TIMEOUT);
  }, p.endpoint.timeouts.queue);
}

/** `x-fieldlab-arm` for a local reply, when the route exposes the arm (prepare.ts puts it in extraHeaders). */
function armHeader(p: Prepared): (readonly [string, string])[] {
  return (p.extraHeaders ?? []).filter(([name]) => name === 'x-fieldlab-arm');
}
