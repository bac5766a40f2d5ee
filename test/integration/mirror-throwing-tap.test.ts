// One primary capture is waited on by every shadow of the request: a waiter that throws (an
// embedder's pair tap with a bug) must cost only its own pair, never the other shadows' pairs.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import type { ComparePair } from '../../src/compare/types.js';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

describe('a pair tap that throws for one shadow', () => {
  let control: TestUpstream, a: TestUpstream, b: TestUpstream, fl: TestFieldlab;
  const pairs: ComparePair[] = [];
  const rejections: unknown[] = [];
  let saved: NodeJS.UnhandledRejectionListener[] = [];

  beforeAll(async () => {
    // The primary answers last, so both shadows' pairs are made from the primary capture's waiters.
    control = await startUpstream('control', (_req, res) => void setTimeout(() => res.end('v1'), 300));
    a = await startUpstream('a', (_req, res) => res.end('v1'));
    b = await startUpstream('b', (_req, res) => res.end('v1'));
    fl = await startFieldlab(
      `
upstreams: { control: ${control.url}, a: ${a.url}, b: ${b.url} }
routes:
  - name: r
    arms: { control: control }
    shadow: [{ to: a }, { to: b }]
`,
      {
        pairTap: {
          pair(p) {
            if (p.shadow === 'a') throw new Error('tap bug');
            pairs.push(p);
          },
        },
      },
    );
    // The tap's throw surfaces as an unhandled rejection (as it always did): seen here, not by the runner.
    saved = process.listeners('unhandledRejection');
    process.removeAllListeners('unhandledRejection');
    process.on('unhandledRejection', (err) => void rejections.push(err));
  });

  afterAll(async () => {
    process.removeAllListeners('unhandledRejection');
    for (const l of saved) process.on('unhandledRejection', l);
    await fl?.close();
    await Promise.all([control, a, b].map((u) => u?.close()));
  });

  it('still pairs the other shadow', async () => {
    pairs.length = 0;
    rejections.length = 0;
    await (await request(`${fl.url}/x`)).body.text();
    for (let i = 0; i < 300 && (rejections.length === 0 || pairs.length === 0); i++) await new Promise((r) => setTimeout(r, 10));
    expect(rejections.map((e) => (e as Error).message)).toEqual(['tap bug']);
    expect(pairs.map((p) => p.shadow)).toEqual(['b']);
  });
});
