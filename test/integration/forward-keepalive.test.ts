// Stale keep-alive connections: a request sent on a reused connection the upstream is closing is
// retried once on a fresh connection when that is safe (idempotent, no body, nothing relayed yet),
// and the idle timeout of upstream connections is configurable so it can stay below the server's.
import type { Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { startRawUpstream } from '../helpers/raw-upstream.js';
import { startFieldlab, startUpstream, type TestFieldlab } from '../helpers/servers.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

async function proxy(url: string, upstreamExtra = ''): Promise<TestFieldlab> {
  const fl = await startFieldlab(`
upstreams:
  a: { endpoints: [${url}]${upstreamExtra} }
routes:
  - { name: r, arms: { control: a } }
`);
  open.push(fl);
  return fl;
}

/** Answers the first request on each connection, then closes the connection when the next arrives: the keep-alive race, every time. */
async function closesOnReuse() {
  const served = new WeakMap<Socket, number>();
  const up = await startRawUpstream((s) => {
    const n = (served.get(s) ?? 0) + 1;
    served.set(s, n);
    if (n === 1) s.write('HTTP/1.1 200 OK\r\ncontent-length: 2\r\nkeep-alive: timeout=60\r\n\r\nok');
    else s.destroy();
  });
  open.push(up);
  return up;
}

describe('forward: keep-alive', () => {
  it('retries an idempotent request once on a fresh connection when its reused connection was closed', async () => {
    const up = await closesOnReuse();
    const fl = await proxy(up.url, ', timeouts: { keepAlive: 30s }');
    const statuses: number[] = [];
    for (let i = 0; i < 20; i++) {
      for (const method of ['GET', 'HEAD', 'DELETE']) statuses.push((await fetch(`${fl.url}/x`, { method })).status);
    }
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Requests that met a closed connection went out a second time, on a connection of their own.
    expect(up.requests.length).toBeGreaterThan(70);
  });

  it('does not retry a request with a body, nor one whose connection was fresh', async () => {
    const up = await closesOnReuse();
    const fl = await proxy(up.url, ', timeouts: { keepAlive: 30s }');
    expect((await fetch(`${fl.url}/x`)).status).toBe(200);
    const post = await fetch(`${fl.url}/x`, { method: 'PUT', body: 'data' });
    expect(post.status).toBe(502);
    expect(post.headers.get('x-fieldlab-error')).toBe('FL_UPSTREAM_RESET');
    expect(up.requests).toHaveLength(2);

    const resets = await startRawUpstream((s) => s.destroy());
    open.push(resets);
    const fl2 = await proxy(resets.url);
    expect((await fetch(`${fl2.url}/x`)).status).toBe(502);
    expect(resets.requests).toHaveLength(1);
  });

  it('has 0 failures against an upstream with a 1 s keep-alive at its defaults', async () => {
    const up = await startUpstream('short');
    up.server.keepAliveTimeout = 1_000;
    open.push(up);
    const fl = await proxy(up.url);
    const statuses: number[] = [];
    // Bursts spaced around the server's timeout, so idle connections meet its close.
    for (let round = 0; round < 6; round++) {
      statuses.push(...(await Promise.all(Array.from({ length: 25 }, () => fetch(`${fl.url}/x`).then((r) => r.status)))));
      await new Promise((r) => setTimeout(r, 960 + round * 15));
    }
    expect(statuses).toHaveLength(150);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('closes idle upstream connections after timeouts.keepAlive', async () => {
    const up = await startUpstream('count');
    open.push(up);
    let connections = 0;
    up.server.on('connection', () => connections++);
    const fl = await proxy(up.url, ', timeouts: { keepAlive: 100ms }');
    await fetch(`${fl.url}/x`);
    await new Promise((r) => setTimeout(r, 400));
    await fetch(`${fl.url}/x`);
    expect(connections).toBe(2);
  });
});
