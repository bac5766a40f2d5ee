/**
 * A shadow that is slow or dead, for the mirroring bench: `--delay 2000` answers the upstream's body after
 * 2 s, `--never` accepts and reads every request and never answers (the caller's timeout has to end it).
 * `GET /__arms` still answers at once, so the bench can count what the shadow received.
 * Usage: node slow-upstream.js --delay MS | --never
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { BODY, BODY_HEADERS, createArmCounter } from './lib/body.js';
import { serveChild } from './lib/serve-child.js';

const { values } = parseArgs({ options: { delay: { type: 'string' }, never: { type: 'boolean', default: false } } });
const delayMs = Number(values.delay ?? 'NaN');
if (!values.never && !(Number.isInteger(delayMs) && delayMs >= 0)) throw new Error('usage: slow-upstream.js --delay MS | --never');

const arms = createArmCounter();
const server = http.createServer((req, res) => {
  if (arms.handle(req, res)) return;
  req.resume();
  if (values.never) return; // hold the exchange open until the client gives up
  const timer = setTimeout(() => res.writeHead(200, BODY_HEADERS).end(BODY), delayMs);
  res.on('close', () => clearTimeout(timer));
});
// A held request is complete (head and body read), so Node's request timeout never fires on it; the
// defaults are kept so only the caller decides when an exchange ends.
serveChild(server);
