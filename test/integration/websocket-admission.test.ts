// Upgrades go through the same admission as HTTP requests: a slot while waiting for the 101, the
// bounded FIFO queue, and the coded 503s (queue full at once, queue timeout after timeouts.queue).
import { afterEach, describe, expect, it } from 'vitest';
import { rawExchange } from '../helpers/raw.js';
import { startRawUpstream } from '../helpers/raw-upstream.js';
import { startFieldlab } from '../helpers/servers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

const upgrade = 'GET /ws HTTP/1.1\r\nhost: a\r\nconnection: Upgrade\r\nupgrade: websocket\r\n\r\n';

describe('upgrade: admission', () => {
  it('queues upgrades in the bounded queue: 503 FL_UPSTREAM_QUEUE_FULL past it, FL_UPSTREAM_QUEUE_TIMEOUT after timeouts.queue', async () => {
    // An upstream that accepts and never answers: the first upgrade holds the one connection slot.
    const up = await startRawUpstream(() => undefined);
    open.push(up);
    const fl = await startFieldlab(`
upstreams: { a: { endpoints: [${up.url}], connections: 1, queue: 1, timeouts: { queue: 300ms, headers: 20s } } }
routes: [{ name: r, arms: { control: a } }]
`);
    open.push(fl);
    const port = fl.app.proxyPort();
    const holder = rawExchange(port, upgrade, 10_000);
    while (up.requests.length < 1) await new Promise((r) => setTimeout(r, 20));
    const queued = rawExchange(port, upgrade, 10_000);
    await new Promise((r) => setTimeout(r, 100));
    const full = await rawExchange(port, upgrade, 10_000);
    expect([full.status, full.headers['x-fieldlab-error']]).toEqual([503, 'FL_UPSTREAM_QUEUE_FULL']);
    const timedOut = await queued;
    expect([timedOut.status, timedOut.headers['x-fieldlab-error']]).toEqual([503, 'FL_UPSTREAM_QUEUE_TIMEOUT']);
    // Neither waiter reached the upstream: only the holder's request did.
    expect(up.requests).toHaveLength(1);
    void holder;
  });
});
