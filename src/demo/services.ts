/**
 * The bundled demo services `npm start` puts behind Fieldlab: a control and a variant build of a
 * small checkout API, so a newcomer sees a sticky split with nothing else installed.
 */
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
}

/**
 * Starts one demo build on 127.0.0.1 (random port).
 * @example const v1 = await startDemoService('control', { version: 'v1' })
 */
export async function startDemoService(name: string, behaviour: DemoBehaviour): Promise<DemoService> {
  const server: Server = createServer((req, res) => {
    const id = /\/(\d+)(?:\?|$)/.exec(req.url ?? '')?.[1] ?? '0';
    const body = JSON.stringify({
      service: 'checkout',
      version: behaviour.version,
      cart: { id: Number(id), items: [{ sku: 'tea', qty: 2, price: 4.5 }], total: 9 },
      servedBy: name,
      arm: req.headers['x-fieldlab-arm'] ?? null,
      ...behaviour.extra,
    });
    const send = () => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    };
    if (behaviour.delayMs) setTimeout(send, behaviour.delayMs);
    else send();
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
