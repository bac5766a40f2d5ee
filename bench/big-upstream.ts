/**
 * A shadow that answers every GET with a big JSON body (`--mib 5` or `--mib 50`), streamed with
 * backpressure from one reused chunk, for the mirroring bench's big-answer scenarios. A client that
 * goes away (Fieldlab aborting at its compare cap) stops the stream. `GET /__arms` answers at once.
 * Usage: node big-upstream.js --mib N
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { createArmCounter } from './lib/body.js';
import { serveChild } from './lib/serve-child.js';

const { values } = parseArgs({ options: { mib: { type: 'string' } } });
const total = Math.round(Number(values.mib) * 2 ** 20);
if (!(total > 0)) throw new Error('usage: big-upstream.js --mib N');
const CHUNK = Buffer.from('1,'.repeat(32 * 1024));

const arms = createArmCounter();
serveChild(
  http.createServer((req, res) => {
    if (arms.handle(req, res)) return;
    req.resume();
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(total) });
    let written = 1;
    res.write('[');
    const pump = (): void => {
      while (written < total - 1 && !res.destroyed) {
        const part = CHUNK.subarray(0, Math.min(CHUNK.length, total - 1 - written));
        written += part.length;
        if (!res.write(part)) return void res.once('drain', pump);
      }
      if (!res.destroyed) res.end(']');
    };
    pump();
  }),
);
