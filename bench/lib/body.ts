/** The bench origin's fixed answer, shared by the primary, the healthy shadow and the slow shadow. */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** A ~1 KiB JSON body, built once so the servers spend their CPU on HTTP, not on JSON.stringify. */
export const BODY = makeBody(1024);
export const BODY_HEADERS = { 'content-type': 'application/json', 'content-length': String(BODY.length) };

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
 * Requests per `x-fieldlab-arm` (the arm Fieldlab tells its upstream, and copies to shadows), so the
 * bench can show who received what. `GET /__arms` answers the counts and resets them.
 *
 * @example
 * if (arms.handle(req, res)) return;
 */
export function createArmCounter(): { handle(req: IncomingMessage, res: ServerResponse): boolean } {
  const arms: Record<string, number> = {};
  return {
    handle(req, res) {
      const arm = req.headers['x-fieldlab-arm'];
      if (typeof arm === 'string') arms[arm] = (arms[arm] ?? 0) + 1;
      if (req.url !== '/__arms') return false;
      const body = JSON.stringify(arms);
      for (const k in arms) delete arms[k];
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) }).end(body);
      return true;
    },
  };
}
