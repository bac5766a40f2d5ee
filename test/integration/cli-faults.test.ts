// `fieldlab faults off|on|status` as a real CLI process against a running Fieldlab: off releases a
// held 30 s delay within a second and stops new faults; on brings them back; a bad word exits 2.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const CLI = resolve('dist/src/cli/main.js');

function cli(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: process.env });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => ok({ code, out, err }));
  });
}

describe('fieldlab faults', () => {
  let up: TestUpstream;
  let fl: TestFieldlab;
  let admin: string[];
  beforeAll(async () => {
    up = await startUpstream('a');
    fl = await startFieldlab(`
admin: { listen: 127.0.0.1:0, token: t0k }
upstreams: { a: ${up.url} }
routes:
  - name: held
    arms: { control: a }
    sticky: [header:x-user-id]
    fault: { delay: { percent: 100, fixed: 30s } }
`);
    admin = ['--admin', fl.adminUrl, '--token', 't0k'];
  });
  afterAll(async () => {
    await fl.close();
    await up.close();
  });

  it('off releases a held delay within a second and stops new faults; on brings them back', async () => {
    const held = request(`${fl.url}/x`, { headers: { 'x-user-id': 'u1' } }).then(async (r) => {
      await r.body.text();
      return { status: r.statusCode, at: performance.now() };
    });
    // Wait until the delay is being held.
    for (let i = 0; i < 50; i++) {
      const s = (await (await request(`${fl.adminUrl}/faults`, { headers: { authorization: 'Bearer t0k' } })).body.json()) as {
        active: Record<string, number>;
      };
      if (s.active.held === 1) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    const off = await cli(['faults', 'off', ...admin]);
    const offAt = performance.now();
    expect(off).toMatchObject({ code: 0 });
    expect(off.out).toMatch(/^faults off since /);
    const r = await held;
    expect(r.status).toBe(200);
    expect(r.at - offAt).toBeLessThan(1000);

    const t0 = performance.now();
    await (await request(`${fl.url}/x`, { headers: { 'x-user-id': 'u2' } })).body.text();
    expect(performance.now() - t0).toBeLessThan(1000);
    const status = await cli(['faults', 'status', ...admin]);
    expect(status.out).toContain('faults off');
    expect(status.out).toMatch(/held: injected abort 0, reset 0, delay 1, first-byte 0, throttle 0; skipped off 1, max-active 0; active 0/);

    expect((await cli(['faults', 'on', ...admin])).out).toMatch(/^faults on since /);
    const json = JSON.parse((await cli(['faults', 'status', '--json', ...admin])).out) as { enabled: boolean };
    expect(json.enabled).toBe(true);
  });

  it('a bad word exits 2; a missing token is refused by the admin API', async () => {
    expect(await cli(['faults', 'maybe', ...admin])).toMatchObject({ code: 2 });
    const r = await cli(['faults', 'off', '--admin', fl.adminUrl]);
    expect(r.code).toBe(1);
    expect(r.err).toContain('FL_ADMIN_UNAUTHORIZED');
  });
});
