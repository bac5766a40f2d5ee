/**
 * The bundled demo services `npm start` puts behind Fieldlab: builds of a small checkout API. Every
 * build stamps its answers with a time and a nonce (noise a shadow diff must learn to ignore); the
 * dark build also carries a deliberate regression and a latency shift for the report to find.
 */
import { randomUUID } from 'node:crypto';
import { startOtelService, type ServiceCall } from './otel-service.js';

/** A running demo service. */
export interface DemoService {
  readonly name: string;
  readonly url: string;
  /** Starts exporting its spans to an OTLP/HTTP traces URL (Fieldlab's receiver). */
  connect(otlpUrl: string): void;
  /** Exports its pending spans now. */
  flush(): Promise<void>;
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
  /** What the build calls downstream before answering (traced: span-tree diffs compare it). */
  readonly downstream?: (c: ServiceCall, id: number) => Promise<void>;
  /** `service.name` of its spans (default `checkout`). */
  readonly serviceName?: string;
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
  const service = await startOtelService(behaviour.serviceName ?? 'checkout', async (c, res) => {
    if (behaviour.failing?.()) {
      res.writeHead(500, { 'content-type': 'application/json', 'x-build': behaviour.version });
      res.end('{"error":"search index unavailable"}');
      return;
    }
    const id = Number(/\/(\d+)(?:\?|$)/.exec(c.req.url ?? '')?.[1] ?? '0');
    await behaviour.downstream?.(c, id);
    const cart = behaviour.cart ? behaviour.cart(demoCart(id)) : demoCart(id);
    const body = JSON.stringify({
      service: 'checkout',
      cart,
      servedAt: new Date().toISOString().slice(0, 19) + 'Z',
      nonce: randomUUID(),
      arm: c.req.headers['x-fieldlab-arm'] ?? null,
      ...behaviour.extra,
    });
    if (behaviour.delayMs) await new Promise((r) => setTimeout(r, behaviour.delayMs! + Math.random() * 5));
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), 'x-build': behaviour.version });
    res.end(body);
  });
  return { name, url: service.url, connect: service.connect, flush: service.flush, close: service.close };
}

/**
 * A downstream dependency of the demo builds (inventory, fraud-check, cache): answers `{}` after
 * `delayMs`, with spans of its own.
 * @example const inventory = await startDemoDependency('inventory', 2)
 */
export async function startDemoDependency(name: string, delayMs = 0): Promise<DemoService> {
  const service = await startOtelService(name, async (_c, res) => {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  return { name, url: service.url, connect: service.connect, flush: service.flush, close: service.close };
}
