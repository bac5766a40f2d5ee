/**
 * Protocol upgrades (WebSocket): routed and assigned exactly like HTTP requests, then the 101 is
 * relayed and the two sockets are piped both ways. A refusal from the upstream (any non-101 answer)
 * is relayed as it came, on a connection that then closes.
 */
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import type { Dispatcher } from 'undici';
import { FL_INTERNAL } from '../errors.js';
import { classifyUpstreamError } from '../forward/classify.js';
import { clientResponseHeaders } from '../forward/headers.js';
import { recordConnect } from '../forward/upstream.js';
import type { HandlerDeps } from './handler.js';
import { sendRawReply } from '../net/local-reply.js';
import { prepareRequest } from './prepare.js';
import { exchangeInfo, rejectedInfo } from './exchange-info.js';
import { beginExchange } from '../telemetry/hooks.js';
import { setHeader } from '../forward/headers.js';

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
 * Creates the server's `upgrade` listener.
 * @example server.on('upgrade', createUpgradeHandler(deps))
 */
export function createUpgradeHandler(deps: HandlerDeps): (req: IncomingMessage, socket: Duplex, headBytes: Buffer) => void {
  return (req, socket, headBytes) => {
    const client = socket as Socket;
    client.on('error', () => client.destroy());
    const started = performance.now();
    try {
      const p = prepareRequest(req, deps.current());
      if (!p.ok) {
        if (p.route && p.arm)
          beginExchange(deps.observers(), rejectedInfo(req, p.route, p.arm, p.requestId, started))?.end(
            { status: p.error.status, code: p.error.code, bytes: 0, upstreamMs: undefined },
            performance.now() - started,
          );
        return sendRawReply(client, p.error, p.requestId);
      }
      // Upgrades count for metrics, rollups and guardrails like any exchange: 101 is a success.
      const tracker = beginExchange(deps.observers(), exchangeInfo(req, p, started));
      if (tracker?.traceparent) setHeader(p.headers, 'traceparent', tracker.traceparent);
      const log = (status: number, code?: string) => {
        tracker?.end({ status, code, bytes: 0, upstreamMs: performance.now() - started }, performance.now() - started);
        deps.log.info(
          {
            type: 'access',
            rid: p.requestId,
            method: req.method,
            path: req.url,
            route: p.route.name,
            arm: p.arm,
            upstream: p.endpoint.origin,
            status,
            code,
            upgrade: req.headers.upgrade,
          },
          'access',
        );
      };
      let controller: Dispatcher.DispatchController | undefined;
      let refused = false;
      client.once('close', () => controller?.abort(new Error('client closed')));
      const handler: Dispatcher.DispatchHandler = {
        onRequestStart(c) {
          controller = c;
        },
        onRequestUpgrade(_c, status, headers, upstream) {
          recordConnect(p.endpoint, true, Date.now());
          client.write(head(status, headers as Headers, p.extraHeaders));
          if (headBytes.length) upstream.write(headBytes);
          upstream.on('error', () => client.destroy());
          client.on('error', () => upstream.destroy());
          upstream.on('close', () => client.destroy());
          client.on('close', () => upstream.destroy());
          upstream.pipe(client).pipe(upstream);
          log(status);
        },
        onResponseStart(_c, status, headers) {
          if (status < 200) return;
          recordConnect(p.endpoint, true, Date.now());
          const out = clientResponseHeaders(headers as Headers);
          refused = true;
          client.write(head(status, out, [['connection', 'close']]));
          log(status);
        },
        onResponseData(_c, chunk) {
          client.write(chunk);
        },
        onResponseEnd() {
          client.end();
        },
        onResponseError(_c, err) {
          const { def, connectFailure } = classifyUpstreamError(err);
          if (connectFailure) recordConnect(p.endpoint, false, Date.now());
          // The refusal's head is already out: a second response would read as its body (and could
          // even fill its Content-Length), so cut the connection to make the truncation visible.
          if (refused) return void client.destroy();
          sendRawReply(client, def, p.requestId);
          log(def.status, def.code);
        },
      };
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
    } catch (err) {
      deps.log.error({ err }, 'upgrade handler failed');
      sendRawReply(client, FL_INTERNAL);
    }
  };
}
