/** The bench's origin: a plain node:http server answering every GET with the same ~1 KiB JSON body. */
import http from 'node:http';
import { BODY, BODY_HEADERS, createArmCounter } from './lib/body.js';
import { serveChild } from './lib/serve-child.js';

/** `GET /__arms` returns (and resets) requests per x-fieldlab-arm, so the bench can verify the split. */
const arms = createArmCounter();

serveChild(
  http.createServer((req, res) => {
    if (arms.handle(req, res)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': '0' }).end();
      return;
    }
    // Drain first: a GET can still carry a body, and an unread body would stall the keep-alive socket.
    req.resume();
    res.writeHead(200, BODY_HEADERS).end(req.method === 'HEAD' ? undefined : BODY);
  }),
);
