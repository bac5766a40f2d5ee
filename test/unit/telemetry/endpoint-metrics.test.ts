// Endpoint state families: one series per upstream, origin and pool (arms' pools and shadows' own);
// an endpoint two routes reach through different pools is one series, down while either is ejected;
// the label is the origin only (no userinfo); ejections are counted once per ejection; a dead
// endpoint stays down through its half-open gaps until a connection succeeds.
import { describe, expect, it } from 'vitest';
import type { Endpoint } from '../../../src/forward/pools.js';
import { createUpstream, recordConnect } from '../../../src/forward/upstream.js';
import { endpointFamilies } from '../../../src/telemetry/endpoint-metrics.js';

const endpoint = (origin: string): Endpoint => ({ key: origin, origin, failures: 0, ejectedUntil: 0, ejections: 0 }) as unknown as Endpoint;

describe('endpoint metrics', () => {
  it('counts an ejection once, however many failures extend it, and again after it ran out', () => {
    const ep = endpoint('http://a:1');
    for (let i = 0; i < 5; i++) recordConnect(ep, false, 1000);
    expect(ep.ejections).toBe(1);
    recordConnect(ep, false, ep.ejectedUntil + 1);
    expect(ep.ejections).toBe(2);
    recordConnect(ep, true, ep.ejectedUntil + 1);
    expect(ep.ejectedUntil).toBe(0);
    expect(ep.ejections).toBe(2);
  });

  it('keeps a dead endpoint down after its backoff ran out, until a connection succeeds (no flapping)', () => {
    const ep = endpoint('http://10.0.0.5:8080');
    const routes = [{ arms: [{ upstream: createUpstream('shop', [ep], undefined) }], shadows: [] }];
    const up = (now: number) => endpointFamilies({ routes } as never, now)[0]!.samples[0]!.value;
    for (let i = 0; i < 3; i++) recordConnect(ep, false, 1000);
    expect(up(1000)).toBe(0);
    // Half-open: the backoff is over, but nothing has connected since.
    expect(up(ep.ejectedUntil + 60_000)).toBe(0);
    recordConnect(ep, true, ep.ejectedUntil + 60_000);
    expect(up(ep.ejectedUntil + 60_000)).toBe(1);
  });

  it('reports every endpoint a route uses, by upstream, origin and pool', () => {
    const a1 = endpoint('http://user:secret@10.0.0.1:8080');
    const a2 = endpoint('http://10.0.0.2:8080');
    const darkA = endpoint('http://10.0.0.9:81');
    const darkB = endpoint('http://10.0.0.9:81');
    const shop = createUpstream('shop', [a1, a2], undefined);
    darkB.ejectedUntil = 5000;
    darkB.ejections = 2;
    a1.ejections = 1;
    const routes = [
      { arms: [{ upstream: shop }], shadows: [{ upstream: createUpstream('dark', [darkA], undefined), noise: undefined }] },
      { arms: [{ upstream: shop }], shadows: [{ upstream: createUpstream('dark', [darkB], undefined), noise: undefined }] },
    ];
    const [up, ejections] = endpointFamilies({ routes } as never, 1000);
    expect(up!.samples).toEqual([
      { labels: { upstream: 'shop', endpoint: 'http://10.0.0.1:8080', pool: 'primary' }, value: 1 },
      { labels: { upstream: 'shop', endpoint: 'http://10.0.0.2:8080', pool: 'primary' }, value: 1 },
      { labels: { upstream: 'dark', endpoint: 'http://10.0.0.9:81', pool: 'shadow' }, value: 0 },
    ]);
    expect(ejections!.samples.map((s) => s.value)).toEqual([1, 0, 2]);
  });
});
