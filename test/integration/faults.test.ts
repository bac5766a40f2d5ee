// Fault injection end to end against real upstreams: a 10% sticky slice gets exactly its units
// (the same ones on repeat requests), per request hits about its percent, faults land only on the
// listed arms, every fault is counted and logged, a delay holds the request, a reset cuts it, the
// kill switch stops faults (and held delays) within a second, and injected aborts never roll a
// healthy variant back.

import { Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bucketOf } from '../../src/routing/hash.js';
import { signForce } from '../../src/routing/force.js';
import { InMemorySpanExporter } from '@opentelemetry/sdk-trace-base';
import { createTracing } from '../../src/telemetry/tracing.js';

const QA_SECRET = 'qa-fault-secret-0123456789';
import { recordingLogger, startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

describe('fault injection', () => {
  let v1: TestUpstream, v2: TestUpstream, fl: TestFieldlab;
  const { logger, lines } = recordingLogger();
  const exporter = new InMemorySpanExporter();
  const tracing = createTracing({ sample: 1, serviceName: 'fieldlab' }, {}, { exporter, processor: 'simple' });
  beforeAll(async () => {
    v1 = await startUpstream('v1');
    v2 = await startUpstream('v2');
    fl = await startFieldlab(
      `
trustedProxies: [127.0.0.1/32]
upstreams: { v1: ${v1.url}, v2: ${v2.url} }
routes:
  - name: sticky
    match: { path: /sticky/* }
    arms: { control: v1 }
    sticky: [header:x-user-id]
    seed: s1
    fault: { abort: { percent: 10%, status: 503 } }
  - name: perreq
    match: { path: /perreq/* }
    arms: { control: v1 }
    sticky: [header:x-user-id]
    fault: { by: request, abort: { percent: 20%, status: 500 } }
  - name: arms
    match: { path: /arms/* }
    arms: { control: v1, variant: v2 }
    split: { variant: 50 }
    sticky: [header:x-user-id]
    exposeArm: true
    fault: { arms: [variant], abort: { percent: 100 } }
  - name: slow
    match: { path: /slow/* }
    arms: { control: v1 }
    sticky: [header:x-user-id]
    fault: { delay: { percent: 100, fixed: 400ms } }
  - name: held
    match: { path: /held/* }
    arms: { control: v1 }
    sticky: [header:x-user-id]
    fault: { delay: { percent: 100, fixed: 30s }, maxActive: 2 }
  - name: reset
    match: { path: /reset/* }
    arms: { control: v1 }
    sticky: [header:x-user-id]
    fault: { abort: { percent: 100, reset: true } }
  - name: qa
    match: { path: /qa/* }
    arms: { control: v1 }
    sticky: [header:x-user-id]
    fault:
      abort: { percent: 0, status: 500 }
      header: { from: header:x-fieldlab-fault, secret: "\${QA_SECRET}", maxTtl: 1h }
`,
      { logger, env: { QA_SECRET }, observers: [tracing.observer] },
    );
  });
  afterAll(async () => {
    await fl.close();
    await tracing.shutdown();
    await Promise.all([v1.close(), v2.close()]);
  });

  const drive = async (path: string, users: string[]) => {
    const pool = new Pool(fl.url, { connections: 16 });
    const out: {
      user: string;
      status: number;
      code: string | undefined;
      arm: string | undefined;
    }[] = [];
    for (let i = 0; i < users.length; i += 100)
      await Promise.all(
        users.slice(i, i + 100).map(async (user) => {
          const res = await pool.request({
            path,
            method: 'GET',
            headers: { 'x-user-id': user },
          });
          await res.body.text();
          const code = res.headers['x-fieldlab-error'];
          const arm = res.headers['x-fieldlab-arm'];
          out.push({
            user,
            status: res.statusCode,
            code: typeof code === 'string' ? code : undefined,
            arm: typeof arm === 'string' ? arm : undefined,
          });
        }),
      );
    await pool.close();
    return out;
  };
  const metrics = async () => (await (await request(`${fl.adminUrl}/metrics`)).body.text()) as string;
  const users = Array.from({ length: 2000 }, (_, i) => `user-${i}`);

  it('a 10% sticky slice gets exactly its units, the same ones on every request, and they are counted and logged', async () => {
    const expected = users.filter((u) => bucketOf('fault:abort\ns1', u) < 1000).sort();
    const faulted = async () =>
      (await drive('/sticky/x', users))
        .filter((r) => r.code === 'FL_FAULT_INJECTED')
        .map((r) => {
          expect(r.status).toBe(503);
          return r.user;
        })
        .sort();
    const first = await faulted();
    expect(first).toEqual(expected);
    expect(first.length / users.length).toBeGreaterThan(0.085);
    expect(first.length / users.length).toBeLessThan(0.115);
    expect(await faulted()).toEqual(first);
    expect(await metrics()).toContain(`fieldlab_fault_injected_total{route="sticky",kind="abort"} ${2 * expected.length}`);
    const logged = lines.filter((l) => l.type === 'access' && l.route === 'sticky' && l.fault === 'abort');
    expect(logged.length).toBe(2 * expected.length);
    expect(logged[0]).toMatchObject({ status: 503, code: 'FL_FAULT_INJECTED' });
    // The upstream never saw a faulted request.
    expect(v1.seen.filter((r) => r.url?.startsWith('/sticky/')).length).toBe(2 * (users.length - expected.length));
  });

  it('per request hits about its percent, and a unit is faulted on some requests only', async () => {
    const results = await drive(
      '/perreq/x',
      Array.from({ length: 2000 }, (_, i) => `u${i % 10}`),
    );
    const hit = results.filter((r) => r.code === 'FL_FAULT_INJECTED');
    expect(hit.every((r) => r.status === 500)).toBe(true);
    // 20% of 2000: mean 400, sd ≈ 18; ±100 is over 5 sd.
    expect(hit.length).toBeGreaterThan(300);
    expect(hit.length).toBeLessThan(500);
    const perUser = new Set(hit.map((r) => r.user));
    expect(perUser.size).toBe(10);
  });

  it('faults only the listed arms', async () => {
    const results = await drive('/arms/x', users.slice(0, 400));
    const byArm = (arm: string) => results.filter((r) => r.arm === arm);
    expect(byArm('control').length).toBeGreaterThan(100);
    expect(byArm('variant').length).toBeGreaterThan(100);
    expect(byArm('control').every((r) => r.status === 200 && r.code === undefined)).toBe(true);
    expect(byArm('variant').every((r) => r.code === 'FL_FAULT_INJECTED')).toBe(true);
  });

  it('a delay holds the request before it is forwarded; a reset cuts the connection', async () => {
    const t0 = performance.now();
    const res = await request(`${fl.url}/slow/x`, {
      headers: { 'x-user-id': 'u1' },
    });
    expect(((await res.body.json()) as { name: string }).name).toBe('v1');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    await expect(request(`${fl.url}/reset/x`, { headers: { 'x-user-id': 'u1' } })).rejects.toThrow();
    const marked = exporter.getFinishedSpans().map((sp) => sp.attributes['fieldlab.fault']);
    expect(marked).toContain('delay');
    expect(marked).toContain('reset');
    const m = await metrics();
    expect(m).toContain('fieldlab_fault_injected_total{route="slow",kind="delay"} 1');
    expect(m).toContain('fieldlab_fault_injected_total{route="reset",kind="reset"} 1');
  });

  it('a signed QA header asks for a fault; unsigned, expired, too long, mis-signed or unknown ones are ignored and counted', async () => {
    const now = Math.floor(Date.now() / 1000);
    const ask = async (value: string) => {
      const res = await request(`${fl.url}/qa/x`, { headers: { 'x-user-id': 'u1', 'x-fieldlab-fault': value } });
      await res.body.text();
      return `${res.statusCode} ${res.headers['x-fieldlab-error'] ?? '-'}`;
    };
    expect(await ask(signForce(QA_SECRET, 'qa', 'fault:abort', now + 600))).toBe('500 FL_FAULT_INJECTED');
    expect(await ask('fault:abort')).toBe('200 -');
    expect(await ask(signForce(QA_SECRET, 'qa', 'fault:abort', now - 1))).toBe('200 -');
    expect(await ask(signForce(QA_SECRET, 'qa', 'fault:abort', now + 7200))).toBe('200 -');
    expect(await ask(signForce(QA_SECRET, 'sticky', 'fault:abort', now + 600))).toBe('200 -');
    expect(await ask(signForce('another-secret-0123456789', 'qa', 'fault:abort', now + 600))).toBe('200 -');
    // Signed right, but for a kind the route has no block for, or for an arm (a force value).
    expect(await ask(signForce(QA_SECRET, 'qa', 'fault:delay', now + 600))).toBe('200 -');
    expect(await ask(signForce(QA_SECRET, 'qa', 'control', now + 600))).toBe('200 -');
    const m = await metrics();
    for (const [result, n] of Object.entries({
      followed: 1,
      unsigned: 1,
      expired: 1,
      'too-long': 1,
      'bad-signature': 2,
      'unknown-kind': 2,
    }))
      expect(m).toContain(`fieldlab_fault_header_total{route="qa",result="${result}"} ${n}`);
    // Without a header the route's 0% never faults.
    expect(await ask('')).toBe('200 -');
  });

  it('caps faults in progress at maxActive; the kill switch stops every fault within a second, held delays too', async () => {
    const held = Array.from({ length: 3 }, (_, i) =>
      request(`${fl.url}/held/x`, { headers: { 'x-user-id': `h${i}` } }).then(async (r) => ({
        name: ((await r.body.json()) as { name: string }).name,
        at: performance.now(),
      })),
    );
    // Two are held for 30 s; the third finds the route at maxActive and goes straight through.
    const first = await Promise.race(held);
    expect(first.name).toBe('v1');
    let state = (await (await request(`${fl.adminUrl}/faults`)).body.json()) as { enabled: boolean; active: Record<string, number> };
    expect(state).toMatchObject({ enabled: true, active: { held: 2 } });
    expect(await metrics()).toContain('fieldlab_fault_skipped_total{route="held",reason="max-active"} 1');

    const off = await request(`${fl.adminUrl}/faults/off`, { method: 'POST' });
    expect(off.statusCode).toBe(200);
    const offAt = performance.now();
    await off.body.text();
    const all = await Promise.all(held);
    for (const r of all) expect(r.name).toBe('v1');
    expect(Math.max(...all.map((r) => r.at)) - offAt).toBeLessThan(1000);
    // New requests are not faulted while off (the draw still happens and is counted as skipped).
    const after = await drive('/arms/x', users.slice(0, 200));
    expect(after.every((r) => r.status === 200)).toBe(true);
    expect(await metrics()).toMatch(/fieldlab_fault_skipped_total\{route="arms",reason="off"\} [1-9]/);
    state = (await (await request(`${fl.adminUrl}/faults`)).body.json()) as {
      enabled: boolean;
      active: Record<string, number>;
    };
    expect(state).toMatchObject({ enabled: false, active: {} });

    await (await request(`${fl.adminUrl}/faults/on`, { method: 'POST' })).body.text();
    expect((await drive('/arms/x', users.slice(0, 200))).some((r) => r.code === 'FL_FAULT_INJECTED')).toBe(true);
  });
});

describe('fault injection and guardrails', () => {
  it('injected aborts on a healthy variant are not its errors: no rollback', async () => {
    const control = await startUpstream('control');
    const variant = await startUpstream('variant');
    const fl = await startFieldlab(`
trustedProxies: [127.0.0.1/32]
upstreams: { control: ${control.url}, variant: ${variant.url} }
routes:
  - name: checkout
    arms: { control: control, variant: variant }
    split: { variant: 20 }
    sticky: [header:x-user-id]
    guardrails: {}
    fault: { arms: [variant], abort: { percent: 100 } }
`);
    try {
      // The same load that rolls a 500-ing variant back in guardrails.test.ts, from distinct addresses.
      const pool = new Pool(fl.url, { connections: 8 });
      let faulted = 0;
      for (let i = 0; i < 600; i += 50)
        await Promise.all(
          Array.from({ length: 50 }, async (_, j) => {
            const n = i + j;
            const res = await pool.request({
              path: '/buy',
              method: 'GET',
              headers: {
                'x-user-id': `u${n}`,
                'x-forwarded-for': `198.51.${(n >> 8) & 255}.${n & 255}`,
              },
            });
            if (res.headers['x-fieldlab-error'] === 'FL_FAULT_INJECTED') faulted++;
            await res.body.text();
          }),
        );
      await pool.close();
      expect(faulted).toBeGreaterThan(60);
      for (let i = 0; i < 15; i++) {
        expect(fl.app.guardrails().tick()).toEqual([]);
        await new Promise((r) => setTimeout(r, 100));
      }
      const s = (await (await request(`${fl.adminUrl}/status`)).body.json()) as {
        routes: { variants: { phase: string; percent: number }[] }[];
      };
      expect(s.routes[0]!.variants[0]).toMatchObject({ percent: 20 });
      expect(s.routes[0]!.variants[0]!.phase).not.toBe('rolled-back');
    } finally {
      await fl.close();
      await Promise.all([control.close(), variant.close()]);
    }
  });
});
