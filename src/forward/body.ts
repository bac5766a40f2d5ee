/**
 * Request-body buffering, as nginx's `proxy_request_buffering`: a body up to `limit` bytes is read
 * whole before the upstream exchange starts, so a client trickling its upload holds a socket of ours,
 * never an upstream connection. A bigger body streams as before (the part already read first). Memory
 * is bounded per request (`limit`) and for the process (BUFFER_BUDGET bytes held at once); past the
 * budget, bodies stream unbuffered, and nothing is ever dropped.
 */
import type { Readable } from 'node:stream';

/** Bytes all buffered bodies may hold at once. */
const BUFFER_BUDGET = 128 * 1024 * 1024;
let held = 0;

/** What the body reader reports into. */
export interface BodySink {
  /** Bytes arrived from the client (for the minimum upload rate). */
  uploaded(n: number): void;
  /** The body is ready to send: whole (`Buffer`) or as a stream of what is left. */
  ready(body: Buffer | AsyncIterable<Buffer>): void;
}

/**
 * Reads `src` up to `limit` bytes (only if `declared`, the Content-Length, fits) and calls
 * `sink.ready` once. Streams without buffering when `limit` is 0 or the budget is spent.
 * @example readBody(req, 65536, req.headers['content-length'], handler)
 */
export function readBody(src: Readable, limit: number, declared: string | undefined, sink: BodySink): void {
  if (limit === 0 || (declared !== undefined && Number(declared) > limit) || held >= BUFFER_BUDGET) {
    sink.ready(counted(src, [], sink));
    return;
  }
  const chunks: Buffer[] = [];
  let size = 0;
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    held -= size;
  };
  const onData = (chunk: Buffer) => {
    size += chunk.length;
    held += chunk.length;
    chunks.push(chunk);
    sink.uploaded(chunk.length);
    if (size > limit || held > BUFFER_BUDGET) {
      cleanup();
      src.pause();
      release();
      sink.ready(counted(src, chunks, sink));
    }
  };
  const onEnd = () => {
    cleanup();
    const body = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
    // The bytes now belong to undici's write; they leave the budget as they are handed over.
    release();
    sink.ready(body);
  };
  const cleanup = () => {
    src.off('data', onData);
    src.off('end', onEnd);
    src.off('close', release);
  };
  src.on('data', onData);
  src.once('end', onEnd);
  // A client that leaves mid-upload gives its bytes back.
  src.once('close', release);
}

/** The chunks already read, then the rest of `src`, counting uploaded bytes as they pass. */
async function* counted(src: Readable, first: Buffer[], sink: BodySink): AsyncIterable<Buffer> {
  yield* first;
  for await (const chunk of src) {
    sink.uploaded((chunk as Buffer).length);
    yield chunk as Buffer;
  }
}
