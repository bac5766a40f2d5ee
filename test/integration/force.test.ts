// The QA override end to end: a forced request never reaches an arm a decision rolled back (unless
// allowRolledBack), allowFrom judges the client address resolved behind trustedProxies, signed
// values work until they expire, and every refusal is counted in /routes and /metrics.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { signForce } from '../../src/routing/force.js';
import { recordingLogger, startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const SECRET = 'qa-secret-0123456789';

describe('force override', () => {
  let v1: TestUpstream, v2: TestUpstream, fl: TestFieldlab;
  const { logger, lines } = recordingLogger();
  beforeAll(async () => {
    v1 = await startUpstream('v1');
    v2 = await startUpstream('v2');
    const route = (name: string, force: string, extra = '') => `
  - name: ${name}
    match: { path: /${name}/* }
    arms: { control: v1, variant: v2 }
    sticky: [header:x-user-id]
    force: ${force}${extra}`;
    const guarded = '\n    split: { variant: 50 }\n    guardrails: { slo: { availability: 99% }, clientCap: 0 }';
    fl = await startFieldlab(
      `
trustedProxies: [127.0.0.1/32]
upstreams: { v1: ${v1.url}, v2: ${v2.url} }
routes:${route('open', 'header:x-fieldlab-arm', guarded)}${route('debug', '{ from: header:x-fieldlab-arm, allowRolledBack: true }', guarded)}${route('office', '{ from: header:x-fieldlab-arm, allowFrom: [10.0.0.0/8] }', '\n    split: { variant: 0 }')}${route('signed', '{ from: header:x-fieldlab-arm, secret: "${FORCE_SECRET}" }', '\n    split: { variant: 0 }')}
`,
      { env: { FORCE_SECRET: SECRET }, logger },
    );
  });
  afterAll(async () => {
    await fl.close();
    await Promise.all([v1.close(), v2.close()]);
  });

  const upstreamOf = async (path: string, headers: Record<string, string>): Promise<string> => {
    const res = await request(`${fl.url}${path}`, { headers: { 'x-user-id': 'u1', ...headers } });
    return ((await res.body.json()) as { name: string }).name;
  };
  const admin = async (method: 'GET' | 'POST', path: string) => {
    const res = await request(`${fl.adminUrl}${path}`, { method });
    return { status: res.statusCode, text: await res.body.text() };
  };
  const forceOf = async (name: string) =>
    (JSON.parse((await admin('GET', '/routes')).text) as { routes: { name: string; force: Record<string, any> }[] }).routes.find(
      (r) => r.name === name,
    )!.force;

  it('never sends a forced request to a rolled-back arm, unless allowRolledBack', async () => {
    const force = { 'x-fieldlab-arm': 'variant' };
    expect(await upstreamOf('/open/x', force)).toBe('v2');
    const before = (await forceOf('open')).counts;
    for (const r of ['open', 'debug']) expect((await admin('POST', `/routes/${r}/rollback?reason=test`)).status).toBe(200);
    expect(await upstreamOf('/open/x', force)).toBe('v1');
    expect(await upstreamOf('/debug/x', force)).toBe('v2');
    const after = (await forceOf('open')).counts;
    expect(after['rolled-back'] - before['rolled-back']).toBe(1);
    expect(await forceOf('debug')).toMatchObject({ from: 'header:x-fieldlab-arm', allowRolledBack: true, signed: false });
  });

  it('lets only allowFrom clients force, judged on the address behind trustedProxies', async () => {
    const before = (await forceOf('office')).counts;
    expect(await upstreamOf('/office/x', { 'x-fieldlab-arm': 'variant', 'x-forwarded-for': '10.20.30.40' })).toBe('v2');
    expect(await upstreamOf('/office/x', { 'x-fieldlab-arm': 'variant', 'x-forwarded-for': '10.0.0.1, 203.0.113.9' })).toBe('v1');
    // The socket peer (127.0.0.1) is only a trusted proxy, not a client in 10/8.
    expect(await upstreamOf('/office/x', { 'x-fieldlab-arm': 'variant' })).toBe('v1');
    const after = (await forceOf('office')).counts;
    expect([after.followed - before.followed, after['not-allowed'] - before['not-allowed']]).toEqual([1, 2]);
    expect(await forceOf('office')).toMatchObject({ allowFrom: ['10.0.0.0/8'], signed: false });
  });

  it('follows a signed value until it expires, counts bad ones, and never shows the secret', async () => {
    const now = Math.floor(Date.now() / 1000);
    const before = (await forceOf('signed')).counts;
    expect(await upstreamOf('/signed/x', { 'x-fieldlab-arm': signForce(SECRET, 'signed', 'variant', now + 600) })).toBe('v2');
    expect(await upstreamOf('/signed/x', { 'x-fieldlab-arm': signForce(SECRET, 'signed', 'variant', now - 1) })).toBe('v1');
    expect(await upstreamOf('/signed/x', { 'x-fieldlab-arm': signForce(SECRET, 'office', 'variant', now + 600) })).toBe('v1');
    expect(await upstreamOf('/signed/x', { 'x-fieldlab-arm': 'variant' })).toBe('v1');
    // The access log says what became of each override, so QA can see why a header was ignored.
    const logged = lines.filter((l) => l.type === 'access' && l.route === 'signed').map((l) => l.force);
    expect(logged.slice(-4)).toEqual(['followed', 'expired', 'bad-signature', 'unsigned']);
    const after = (await forceOf('signed')).counts;
    expect(['followed', 'expired', 'bad-signature', 'unsigned'].map((k) => after[k] - before[k])).toEqual([1, 1, 1, 1]);
    const routes = await admin('GET', '/routes');
    expect(routes.text).not.toContain(SECRET);
    expect(await forceOf('signed')).toMatchObject({ signed: true });
    const metrics = (await admin('GET', '/metrics')).text;
    expect(metrics).toMatch(/^fieldlab_force_requests_total\{route="signed",result="bad-signature"\} [1-9]/m);
    expect(metrics).toMatch(/^fieldlab_force_requests_total\{route="open",result="rolled-back"\} [1-9]/m);
  });
});
