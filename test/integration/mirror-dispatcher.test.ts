// The shadow dispatcher against a real upstream on loopback: a copy whose pair will be compared keeps
// its body (up to the compare cap); one that won't be (the compare stage is saturated) is read the
// same way but keeps none of it, while its status, byte count and timing still reach the span/metrics.
import { afterAll, describe, expect, it } from 'vitest';
import type { CapturedResponse } from '../../src/compare/types.js';
import { createShadowDispatcher, type ShadowJob } from '../../src/mirror/dispatcher.js';
import { createPoolRegistry } from '../../src/forward/pools.js';
import { createUpstream } from '../../src/forward/upstream.js';
import { startUpstream, type TestUpstream } from '../helpers/servers.js';

const BODY = JSON.stringify({ items: [1, 2, 3], pad: 'x'.repeat(2000) });

describe('shadow dispatcher', () => {
  const pools = createPoolRegistry();
  const open: TestUpstream[] = [];
  afterAll(async () => {
    await pools.closeAll(true);
    for (const u of open) await u.close();
  });

  it('keeps the body of a compared copy and none of a discarded one, reading both to the end', async () => {
    const up = await startUpstream('dark', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(BODY);
    });
    open.push(up);
    const timeouts = { connect: 1000, headers: 1000, idle: 1000 };
    const upstream = createUpstream('dark', [pools.endpoint(up.url, { timeouts, connections: 2 })], undefined);
    const dispatcher = createShadowDispatcher();
    const send = (discard: boolean) =>
      new Promise<CapturedResponse>((onDone) => {
        const job: ShadowJob = {
          key: 'r/dark',
          route: 'r',
          shadow: 'dark',
          kind: 'shadow',
          upstream,
          method: 'GET',
          path: '/x',
          headers: ['host', 'shop'],
          body: null,
          timeoutMs: 1000,
          concurrency: 2,
          queue: 2,
          captureCap: 1 << 20,
          discard,
          bytesPerSecond: 0,
          onDone,
        };
        expect(dispatcher.submit(job)).toBeUndefined();
      });
    const kept = await send(false);
    const discarded = await send(true);
    expect(kept).toMatchObject({ status: 200, bodyBytes: BODY.length, truncated: false });
    expect(kept.body.toString()).toBe(BODY);
    expect(discarded).toMatchObject({ status: 200, bodyBytes: BODY.length, headers: { 'content-type': 'application/json' } });
    expect(discarded.body.length).toBe(0);
    expect(dispatcher.stats()).toMatchObject({ sent: 2, completed: 2, truncated: 0 });
  });
});
