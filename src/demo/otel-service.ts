/**
 * An HTTP service instrumented with the OpenTelemetry SDK the way the services behind Fieldlab are:
 * a SERVER span per request (parent from the incoming traceparent), CLIENT spans for downstream
 * calls (traceparent injected), INTERNAL spans for local work, exported over OTLP/HTTP by the
 * official exporter once `connect` names a receiver. The demo builds and the span-tree tests run on
 * it; until `connect`, it records nothing.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  defaultTextMapGetter,
  defaultTextMapSetter,
  trace,
  type Context,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import { request } from 'undici';

const propagator = new W3CTraceContextPropagator();

/** What a handler can do inside its request's SERVER span. */
export interface ServiceCall {
  readonly req: IncomingMessage;
  readonly path: string;
  /** A downstream HTTP call with a CLIENT span named `METHOD path`; resolves to the status. */
  call(baseUrl: string, method: string, path: string): Promise<number>;
  /** Local work of `ms` under an INTERNAL span named `name`. */
  work(name: string, ms: number): Promise<void>;
}

/** A running instrumented service. */
export interface OtelService {
  readonly url: string;
  readonly server: Server;
  /** Starts exporting to `otlpUrl` (…/v1/traces). */
  connect(otlpUrl: string): void;
  flush(): Promise<void>;
  close(): Promise<void>;
}

/**
 * Starts `serviceName` on 127.0.0.1:0. `handler` runs once the request body is in, makes its calls
 * and writes the response; the SERVER span ends when the response is done.
 * @example const inv = await startOtelService('inventory', async (_c, res) => res.end('{"stock":3}'))
 */
export async function startOtelService(
  serviceName: string,
  handler: (c: ServiceCall, res: ServerResponse) => Promise<void> | void,
): Promise<OtelService> {
  let provider: BasicTracerProvider | undefined;
  let tracer: Tracer | undefined;
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const parent = propagator.extract(ROOT_CONTEXT, req.headers, defaultTextMapGetter);
    const span = tracer?.startSpan(`${req.method} ${path}`, { kind: SpanKind.SERVER }, parent);
    const ctx: Context = span ? trace.setSpan(parent, span) : parent;
    const c: ServiceCall = {
      req,
      path,
      async call(baseUrl, method, p) {
        const client = tracer?.startSpan(`${method} ${p}`, { kind: SpanKind.CLIENT }, ctx);
        const headers: Record<string, string> = {};
        if (client) propagator.inject(trace.setSpan(ctx, client), headers, defaultTextMapSetter);
        const r = await request(`${baseUrl}${p}`, { method, headers, ...(method === 'POST' ? { body: '{}' } : {}) });
        await r.body.dump();
        if (r.statusCode >= 500) client?.setStatus({ code: SpanStatusCode.ERROR });
        client?.end();
        return r.statusCode;
      },
      async work(name, ms) {
        const w = tracer?.startSpan(name, { kind: SpanKind.INTERNAL }, ctx);
        await new Promise((r) => setTimeout(r, ms));
        w?.end();
      },
    };
    res.on('close', () => {
      if (res.statusCode >= 500) span?.setStatus({ code: SpanStatusCode.ERROR });
      span?.end();
    });
    req.resume();
    req.on('end', () => {
      Promise.resolve()
        .then(() => handler(c, res))
        .catch((err: Error) => {
          if (res.headersSent) return void res.destroy();
          res.statusCode = 500;
          res.end(err.message);
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    server,
    connect(otlpUrl) {
      provider = new BasicTracerProvider({
        resource: resourceFromAttributes({ 'service.name': serviceName }),
        spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter({ url: otlpUrl }), { scheduledDelayMillis: 200 })],
      });
      tracer = provider.getTracer(serviceName);
    },
    flush: async () => provider?.forceFlush(),
    async close() {
      await provider?.shutdown();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}
