/** The bench's origin: a plain node:http server answering every GET with the same ~1 KiB JSON body. */
import http from 'node:http';
import { serveChild } from './lib/serve-child.js';

/** Built once so the upstream spends its CPU on HTTP, not on JSON.stringify. */
const BODY = makeBody(1024);
const HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

function makeBody(size: number): Buffer {
  const items: { id: number; name: string; price: number }[] = [];
  let json = '';
  for (let id = 1; Buffer.byteLength(json) < size - 40; id++) {
    items.push({ id, name: `item-${id}`, price: id * 3 });
    json = JSON.stringify({ items });
  }
  return Buffer.from(JSON.stringify({ items, pad: 'x'.repeat(Math.max(0, size - Buffer.byteLength(json) - 10)) }));
}

/**
 * Requests per `x-fieldlab-arm` (the arm Fieldlab tells its upstream), so the bench can show the sticky
 * split really ran. `GET /__arms` returns the counts and resets them.
 */
const arms: Record<string, number> = {};

serveChild(
  http.createServer((req, res) => {
    const arm = req.headers['x-fieldlab-arm'];
    if (typeof arm === 'string') arms[arm] = (arms[arm] ?? 0) + 1;
    if (req.url === '/__arms') {
      const body = JSON.stringify(arms);
      for (const k in arms) delete arms[k];
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-length': '0' }).end();
      return;
    }
    // Drain first: a GET can still carry a body, and an unread body would stall the keep-alive socket.
    req.resume();
    res.writeHead(200, HEADERS).end(req.method === 'HEAD' ? undefined : BODY);
  }),
);
