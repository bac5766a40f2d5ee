/**
 * A variant that starts failing, for the end-to-end rollback bench: healthy until `--fail-after MS`,
 * then every answer is a 500. `GET /__stats` reports when the first failure happened and when the last
 * request reached it (epoch ms), which is the exposure window guardrails are meant to shrink.
 * Usage: node failing-upstream.js --fail-after 10000
 */
import http from 'node:http';
import { parseArgs } from 'node:util';
import { BODY, BODY_HEADERS } from './lib/body.js';
import { serveChild } from './lib/serve-child.js';

const { values } = parseArgs({ options: { 'fail-after': { type: 'string', default: '10000' } } });
const failAt = Date.now() + Number(values['fail-after']);
const stats = { requests: 0, failures: 0, firstFailureAt: null as number | null, lastRequestAt: null as number | null };

serveChild(
  http.createServer((req, res) => {
    if (req.url === '/__stats') return res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(stats));
    req.resume();
    const now = Date.now();
    stats.requests++;
    stats.lastRequestAt = now;
    if (now < failAt) return res.writeHead(200, BODY_HEADERS).end(BODY);
    stats.failures++;
    stats.firstFailureAt ??= now;
    res.writeHead(500, { 'content-type': 'text/plain' }).end('variant broke');
  }),
);
