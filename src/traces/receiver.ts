/**
 * The OTLP/HTTP traces receiver (OTLP spec, "OTLP/HTTP"): `POST /v1/traces` with an
 * ExportTraceServiceRequest as `application/x-protobuf` or `application/json`, optionally gzip'd.
 * It runs on its own listener, never the proxy's: a flood of spans or a broken exporter meets its
 * own limits (body size, then the span buffer's) and a coded 4xx, and the proxy never notices.
 * Bodies are decoded on a thread of their own (decode-pool.ts). An accepted batch is answered 200
 * with an empty ExportTraceServiceResponse in the request's encoding, handed to the span buffer
 * and, when configured, to the pass-through unchanged.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { gunzip } from 'node:zlib';
import {
  FL_OTLP_BUSY,
  FL_OTLP_MALFORMED,
  FL_OTLP_NOT_FOUND,
  FL_OTLP_TOO_LARGE,
  FL_OTLP_UNSUPPORTED,
  type FieldlabErrorDef,
} from '../errors.js';
import { sendLocalReply } from '../net/local-reply.js';
import type { DecodePool } from './decode-pool.js';
import type { ReceivedSpan } from './otlp-decode.js';
import type { PassThrough } from './pass-through.js';

/** Receiver counters. */
export interface ReceiverStats {
  readonly batches: number;
  readonly spans: number;
  /** Spans skipped for unusable ids or times. */
  readonly invalidSpans: number;
  /** Refused requests by error code. */
  readonly refused: Readonly<Record<string, number>>;
}

/** The receiver: an unstarted server plus counters. */
export interface TraceReceiver {
  readonly server: Server;
  stats(): ReceiverStats;
}

/** What the receiver needs. */
export interface ReceiverDeps {
  readonly maxBody: number;
  /** Where accepted spans go (the span buffer). */
  readonly spans: (spans: readonly ReceivedSpan[]) => void;
  readonly passThrough?: PassThrough | undefined;
  /** Decodes off the event loop (decode-pool.ts). */
  readonly decoder: DecodePool;
  /**
   * Bodies being read at once (default 16); beyond, 503 FL_OTLP_BUSY and the connection closes.
   * Why: each body being read can pin up to `maxBody`, and stalled uploads would add up unbounded.
   */
  readonly maxReading?: number;
}

type Encoding = 'protobuf' | 'json';

function encodingOf(contentType: string | undefined): Encoding | undefined {
  const type = contentType?.split(';')[0]?.trim().toLowerCase();
  if (type === 'application/x-protobuf' || type === 'application/protobuf') return 'protobuf';
  if (type === 'application/json') return 'json';
  return undefined;
}

/**
 * Creates the receiver (call `listen` on its server).
 * @example const r = createTraceReceiver({ maxBody: 4 << 20, spans: buffer.add }); await listen(r.server, '127.0.0.1', 4319)
 */
export function createTraceReceiver(deps: ReceiverDeps): TraceReceiver {
  const totals = { batches: 0, spans: 0, invalidSpans: 0 };
  const maxReading = deps.maxReading ?? 16;
  let reading = 0;
  const refused: Record<string, number> = {};
  const refuse = (req: IncomingMessage, res: ServerResponse, def: FieldlabErrorDef, detail?: string) => {
    refused[def.code] = (refused[def.code] ?? 0) + 1;
    // The rest of an oversize body is not read: close the connection instead of draining it.
    if (!req.complete) res.setHeader('connection', 'close');
    sendLocalReply(res, def, undefined, detail);
  };

  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || path !== '/v1/traces') return refuse(req, res, FL_OTLP_NOT_FOUND);
    const encoding = encodingOf(req.headers['content-type']);
    const ce = req.headers['content-encoding']?.trim().toLowerCase();
    if (!encoding || (ce !== undefined && ce !== 'gzip' && ce !== 'identity')) {
      return refuse(
        req,
        res,
        FL_OTLP_UNSUPPORTED,
        `content-type ${req.headers['content-type'] ?? '(none)'}, content-encoding ${ce ?? '(none)'}`,
      );
    }
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > deps.maxBody) return refuse(req, res, FL_OTLP_TOO_LARGE);
    if (reading >= maxReading) return refuse(req, res, FL_OTLP_BUSY, 'too many uploads in progress');
    reading++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      reading--;
    };
    // A stalled or aborted upload gives its slot back when its socket goes (requestTimeout at worst).
    req.once('close', release);
    readBody(req, deps.maxBody, (raw) => {
      release();
      if (raw === undefined) return refuse(req, res, FL_OTLP_TOO_LARGE);
      const decode = async (body: Buffer) => {
        const r = await deps.decoder.decode(encoding, body);
        if (!r) return refuse(req, res, FL_OTLP_BUSY);
        if (!r.ok) return refuse(req, res, FL_OTLP_MALFORMED, r.reason);
        totals.batches++;
        totals.spans += r.spans.length;
        totals.invalidSpans += r.invalid;
        deps.spans(r.spans);
        deps.passThrough?.send(raw, req.headers['content-type']!, ce === 'identity' ? undefined : ce);
        res.writeHead(200, { 'content-type': encoding === 'protobuf' ? 'application/x-protobuf' : 'application/json' });
        res.end(encoding === 'protobuf' ? '' : '{}');
      };
      if (ce !== 'gzip') return void decode(raw);
      // maxOutputLength: a small gzip bomb can't inflate past the same cap as a plain body.
      gunzip(raw, { maxOutputLength: deps.maxBody }, (err, body) => {
        if (!err) return void decode(body);
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') return refuse(req, res, FL_OTLP_TOO_LARGE, 'decompressed');
        refuse(req, res, FL_OTLP_MALFORMED, `gzip: ${err.message}`);
      });
    });
  });
  server.on('clientError', (_err, socket) => socket.destroy());
  // A slow or stuck exporter holds a socket and a buffer: it gets as long as a batch reasonably takes.
  server.headersTimeout = 10_000;
  server.requestTimeout = 30_000;
  server.maxHeadersCount = 100;
  return { server, stats: () => ({ ...totals, refused: { ...refused } }) };
}

/** Reads the whole body up to `cap` bytes; undefined when it is longer (reading stops there). */
function readBody(req: IncomingMessage, cap: number, done: (body: Buffer | undefined) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  req.on('data', (c: Buffer) => {
    if (over) return;
    size += c.length;
    if (size > cap) {
      over = true;
      chunks.length = 0;
      req.pause();
      done(undefined);
      return;
    }
    chunks.push(c);
  });
  req.on('end', () => {
    if (!over) done(Buffer.concat(chunks, size));
  });
  req.on('error', () => undefined);
}
