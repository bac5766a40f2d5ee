// Guardrail state against the real store: a rolled-back variant stays rolled back when a reload
// removes its route and adds it back (issue 9.5); persistence failures are counted, shown in /status
// and the metrics, and retried until they succeed (issue 9.15); a reload that lowers the rollout steps
// clamps the weight and records why (issue 11).
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Pool, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFieldlab, startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';

interface Status {
  routes: { route: string; variants: { arm: string; percent: number; phase: string; stepIndex: number }[] }[];
  persistence: { degraded: boolean; stateFailures: number; decisionFailures: number; pendingDecisions: number };
  decisions: { action: string; rule: string; fromPercent: number; toPercent: number; reason: string; at: string }[];
}

describe('guardrail state', () => {
  const tmp = tempDir();
  let control: TestUpstream;
  let variant: TestUpstream;
  beforeAll(async () => {
    control = await startUpstream('control', (_q, res) => res.end('control'));
    variant = await startUpstream('variant', (_q, res) => res.end('variant'));
  });
  afterAll(async () => {
    await Promise.all([control.close(), variant.close()]);
    tmp.remove();
  });
  const route = (extra: string) => `
  - name: checkout
    arms: { control: control, variant: variant }
    sticky: [header:x-user-id]
${extra}`;
  const conf = (db: string, routes: string) => `
store: sqlite:${join(tmp.dir, db)}
upstreams: { control: ${control.url}, variant: ${variant.url} }
routes:
  - name: other
    match: { path: /other/* }   # not a catch-all: checkout after it must stay reachable
    arms: { control: control }
${routes}`;
  const status = async (admin: string) => (await (await request(`${admin}/status`)).body.json()) as Status;
  const served = async (url: string, n: number) => {
    const pool = new Pool(url);
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i++) {
      const res = await pool.request({ path: '/x', method: 'GET', headers: { 'x-user-id': `u${i}` } });
      const body = await res.body.text();
      seen[body] = (seen[body] ?? 0) + 1;
    }
    await pool.close();
    return seen;
  };

  it('a rolled-back variant stays rolled back when a reload removes its route and adds it back, and after a restart', async () => {
    const guarded = route('    split: { variant: 50 }\n    guardrails: { slo: { availability: 99% } }');
    const fl = await startFieldlab(conf('removed.db', guarded));
    const post = await request(`${fl.adminUrl}/routes/checkout/rollback`, { method: 'POST' });
    expect(post.statusCode).toBe(200);
    await post.body.text();
    fl.writeConfig(conf('removed.db', ''));
    expect((await fl.app.reload('test')).ok).toBe(true);
    fl.writeConfig(conf('removed.db', guarded));
    expect((await fl.app.reload('test')).ok).toBe(true);
    expect((await status(fl.adminUrl)).routes[0]!.variants[0]).toMatchObject({ percent: 0, phase: 'rolled-back' });
    expect(await served(fl.url, 40)).toEqual({ control: 40 });
    await fl.app.guardrails().idle();
    await fl.close();
    const again = await startFieldlab(conf('removed.db', guarded));
    expect((await status(again.adminUrl)).routes[0]!.variants[0]).toMatchObject({ percent: 0, phase: 'rolled-back' });
    await again.close();
  });

  it('persistence failures show in /status and the metrics, and are retried until stored', async () => {
    const db = 'failing.db';
    const fl = await startFieldlab(conf(db, route('    split: { variant: 10 }\n    guardrails: {}')));
    // Break the real store from outside: its tables disappear under it.
    const side = new Database(join(tmp.dir, db));
    side.exec('ALTER TABLE decisions RENAME TO decisions_away; ALTER TABLE guardrail_state RENAME TO guardrail_state_away');
    const post = await request(`${fl.adminUrl}/routes/checkout/pause`, { method: 'POST' });
    await post.body.text();
    await fl.app.guardrails().idle();
    const s = await status(fl.adminUrl);
    expect(s.persistence.degraded).toBe(true);
    expect(s.persistence.decisionFailures).toBeGreaterThanOrEqual(1);
    const metrics = await (await request(`${fl.adminUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/^fieldlab_guardrails_persistence_failures_total\{kind="decision"\} [1-9]/m);
    expect(metrics).toMatch(/^fieldlab_guardrails_persistence_degraded 1$/m);
    const ready = await request(`${fl.adminUrl}/readyz`);
    expect(ready.statusCode).toBe(200);
    expect(await ready.body.json()).toEqual({ status: 'degraded', degraded: ['guardrail-persistence'] });
    expect((await request(`${fl.adminUrl}/readyz?strict=1`)).statusCode).toBe(503);
    side.exec('ALTER TABLE decisions_away RENAME TO decisions; ALTER TABLE guardrail_state_away RENAME TO guardrail_state');
    side.close();
    for (let i = 0; i < 50 && (await status(fl.adminUrl)).persistence.degraded; i++) {
      fl.app.guardrails().tick(Date.now() + 60_000);
      await fl.app.guardrails().idle();
      await new Promise((r) => setTimeout(r, 50));
    }
    const after = await status(fl.adminUrl);
    expect(after.persistence.degraded).toBe(false);
    expect(after.decisions.map((d) => d.action)).toEqual(['pause']);
    await fl.close();
  });

  it('a reload that lowers the rollout steps clamps the weight to the new plan and records a decision', async () => {
    const fl = await startFieldlab(conf('clamp.db', route('    rollout: { steps: [5, 25, 50, 100], minBake: 1h }')));
    expect((await status(fl.adminUrl)).routes[0]!.variants[0]).toMatchObject({ percent: 5, stepIndex: 0 });
    fl.writeConfig(conf('clamp.db', route('    rollout: { steps: [1, 2, 3], minBake: 1h }')));
    expect((await fl.app.reload('test')).ok).toBe(true);
    fl.app.guardrails().tick();
    await fl.app.guardrails().idle();
    const s = await status(fl.adminUrl);
    expect(s.routes[0]!.variants[0]).toMatchObject({ percent: 1, stepIndex: 0 });
    expect(s.decisions[0]).toMatchObject({ action: 'replan', rule: 'config-reload', fromPercent: 5, toPercent: 1 });
    expect(s.decisions[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT.*Z$/);
    const served200 = await served(fl.url, 200);
    expect(served200.variant ?? 0).toBeLessThan(10);
    await fl.close();
  });
});
