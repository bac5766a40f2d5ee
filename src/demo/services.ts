/**
 * The bundled demo services `npm start` puts behind Fieldlab: builds of a small checkout API. Every
 * build stamps its answers with a time and a nonce (noise a shadow diff must learn to ignore); the
 * dark build also carries a deliberate regression and a latency shift for the report to find.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running demo service. */
export interface DemoService {
  readonly name: string;
  readonly url: string;
  close(): Promise<void>;
}

/** How one demo build behaves. */
export interface DemoBehaviour {
  readonly version: string;
  /** Extra fields this build adds to every answer. */
  readonly extra?: Record<string, unknown>;
  /** Added latency in ms. */
  readonly delayMs?: number;
  /** Rewrites the cart (the dark build's regression). */
  readonly cart?: (cart: DemoCart) => DemoCart;
  /** Answers 500 once this returns true (the failing canary). */
  readonly failing?: () => boolean;
}

/** The cart every build answers with. */
export interface DemoCart {
  id: number;
  items: { sku: string; qty: number; price: number }[];
  total: number;
  currency: string;
}

/** The cart for an id: deterministic, so only real changes and noise fields differ between builds. */
export function demoCart(id: number): DemoCart {
  const items = [
    { sku: 'tea', qty: 1 + (id % 3), price: 4.5 },
    { sku: 'honey', qty: 1, price: 7 + (id % 5) },
  ];
  return { id, items, total: items.reduce((s, i) => s + i.qty * i.price, 0), currency: 'EUR' };
}

/**
 * Starts one demo build on 127.0.0.1 (random port).
 * @example const v1 = await startDemoService('control', { version: 'v1' })
 */
export async function startDemoService(name: string, behaviour: DemoBehaviour): Promise<DemoService> {
  const server: Server = createServer((req, res) => {
    if (behaviour.failing?.()) {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json', 'x-build': behaviour.version });
      res.end('{"error":"search index unavailable"}');
      return;
    }
    const id = Number(/\/(\d+)(?:\?|$)/.exec(req.url ?? '')?.[1] ?? '0');
    const cart = behaviour.cart ? behaviour.cart(demoCart(id)) : demoCart(id);
    const body = JSON.stringify({
      service: 'checkout',
      cart,
      servedAt: new Date().toISOString().slice(0, 19) + 'Z',
      nonce: randomUUID(),
      arm: req.headers['x-fieldlab-arm'] ?? null,
      ...behaviour.extra,
    });
    const send = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-build': behaviour.version });
      res.end(body);
    };
    // Drain any request body first so writes (POST) behave like a real service.
    req.resume();
    req.on('end', () => (behaviour.delayMs ? setTimeout(send, behaviour.delayMs + Math.random() * 5) : send()));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    name,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
