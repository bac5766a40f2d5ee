// Per-minute arm rollups: counted from real traffic, stored in SQLite, queryable after a restart.
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startFieldlab, startUpstream, tempDir } from '../helpers/servers.js';

describe('per-minute rollups', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  // The slow upstream is far past the threshold and the threshold far above a loaded machine's
  // loopback latency, so a busy CI box never turns a good answer into a slow one.
  it('counts requests, bad and slow events per route and arm, and keeps them across a restart', async () => {
    const good = await startUpstream('good', (_req, res) => res.end('ok'));
    const slow = await startUpstream('slow', (_req, res) => setTimeout(() => res.end('late'), 1_500));
    const yaml = `
store: sqlite:${join(tmp.dir, 'r.db')}
upstreams: { good: ${good.url}, slow: ${slow.url}, dead: http://127.0.0.1:1 }
routes:
  - name: api
    match: { path: /api/* }
    arms: { control: good, variant: slow }
    split: { variant: 50 }
    sticky: [header:x-user-id]
    force: header:x-arm
    guardrails: { slo: { latency: { p99: 1s } }, badStatuses: [418] }
  - name: broken
    match: { path: /broken/* }
    arms: { control: dead }
`;
    let fl = await startFieldlab(yaml);
    for (let i = 0; i < 6; i++) await (await request(`${fl.url}/api/x`, { headers: { 'x-arm': 'control' } })).body.text();
    for (let i = 0; i < 4; i++) await (await request(`${fl.url}/api/x`, { headers: { 'x-arm': 'variant' } })).body.text();
    for (let i = 0; i < 3; i++) await (await request(`${fl.url}/broken/x`)).body.text();
    await fl.app.flushRollups();
    await fl.close();

    fl = await startFieldlab(yaml);
    const res = await request(`${fl.adminUrl}/rollups.json?since=1h`);
    const { minutes } = (await res.body.json()) as {
      minutes: { route: string; arm: string; requests: number; bad: number; slow: number; p50Ms: number }[];
    };
    const sum = (route: string, arm: string) =>
      minutes
        .filter((m) => m.route === route && m.arm === arm)
        .reduce((a, m) => ({ requests: a.requests + m.requests, bad: a.bad + m.bad, slow: a.slow + m.slow }), {
          requests: 0,
          bad: 0,
          slow: 0,
        });
    expect(sum('api', 'control')).toEqual({ requests: 6, bad: 0, slow: 0 });
    expect(sum('api', 'variant')).toEqual({ requests: 4, bad: 0, slow: 4 });
    // Connect failures and the ejection that follows are bad events of the arm.
    expect(sum('broken', 'control')).toEqual({ requests: 3, bad: 3, slow: 0 });
    await fl.close();
    await good.close();
    await slow.close();
  });
});
