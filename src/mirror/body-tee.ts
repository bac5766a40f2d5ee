/**
 * The bounded request-body tee shared by mirroring and recording: the primary gets the body as it
 * streams, a copy is kept up to a cap and handed over once the body is complete.
 */
import { Transform, pipeline, type Readable } from 'node:stream';

/**
 * Streams the client body to the primary unchanged while keeping a copy up to `cap` for the
 * shadows, which are sent once the body is complete. Past the cap the copy is dropped and
 * `onComplete(undefined)` says so; a client abort drops it too (`onAbort`). `req` is the client's
 * request, or another tee of it (mirroring and recording the same request chain two tees).
 * @example forward(..., { body: teeBody(req, 1 << 20, (copy) => send(copy), () => skip('client_aborted')) })
 */
export function teeBody(req: Readable, cap: number, onComplete: (body: Buffer | undefined) => void, onAbort: () => void): Readable {
  const chunks: Buffer[] = [];
  let size = 0;
  let overflow = false;
  const tee = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      size += chunk.length;
      if (!overflow && size <= cap) chunks.push(chunk);
      else if (!overflow) {
        overflow = true;
        chunks.length = 0;
      }
      cb(null, chunk);
    },
    flush(cb) {
      onComplete(overflow ? undefined : Buffer.concat(chunks, size));
      cb();
    },
  });
  pipeline(req, tee, (err) => {
    if (err) onAbort();
  });
  return tee;
}
