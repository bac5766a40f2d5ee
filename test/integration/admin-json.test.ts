// Admin JSON speaks one dialect: ISO timestamps in /status, /decisions.json (and the webhook), and
// numbers without binary float noise anywhere (an availability of 99% is a budget of 0.01, not
// 0.010000000000000009).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
const NOISE = /\d\.\d{7,}/;

describe('admin JSON', () => {
  let up: TestUpstream, fl: TestFieldlab;
  beforeAll(async () => {
    up = await startUpstream('app');
    fl = await startFieldlab(`
upstreams: { a: ${up.url} }
routes:
  - name: shop
    arms: { control: a, variant: a }
    split: { variant: 33.3 }
    guardrails: { slo: { availability: 99%, latency: { p99: 300ms } } }
`);
    for (let i = 0; i < 20; i++) await (await request(`${fl.url}/x`, { headers: { 'x-user': String(i) } })).body.dump();
    const res = await request(`${fl.adminUrl}/routes/shop/rollback?reason=drill`, { method: 'POST' });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
  });
  afterAll(async () => {
    await fl.close();
    await up.close();
  });
  const text = async (path: string) => (await request(`${fl.adminUrl}${path}`)).body.text();

  it('/decisions.json uses ISO strings like /status', async () => {
    const decisions = JSON.parse(await text('/decisions.json')) as { decisions: { at: unknown; evidence: { since: unknown } }[] };
    expect(decisions.decisions.length).toBeGreaterThan(0);
    for (const d of decisions.decisions) expect(d.at).toMatch(ISO);
    const status = JSON.parse(await text('/status')) as {
      decisions: { at: unknown }[];
      routes: { variants: { stepStartedAt: unknown }[] }[];
    };
    expect(status.decisions[0]!.at).toEqual(decisions.decisions[0]!.at);
  });

  it('shows no float noise in /status, /decisions.json, /routes or /config', async () => {
    for (const path of ['/status', '/decisions.json', '/routes', '/config']) {
      const body = await text(path);
      expect(body.match(NOISE), `${path}: ${body.match(NOISE)?.[0]}`).toBeNull();
    }
    expect(await text('/status')).toMatch(/"budget": 0\.01\b/);
  });
});
