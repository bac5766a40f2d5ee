// `fieldlab status` and the manual actions, as a real CLI process against a running Fieldlab.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const CLI = resolve('dist/src/cli/main.js');

function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => ok({ code, out, err }));
  });
}

describe('fieldlab status and manual actions', () => {
  let up: TestUpstream;
  let fl: TestFieldlab;
  let admin: string;
  beforeAll(async () => {
    up = await startUpstream('a');
    fl = await startFieldlab(`
admin: { listen: 127.0.0.1:0, token: t0k }
upstreams: { a: ${up.url} }
routes:
  - name: checkout
    match: { path: /checkout/* }
    arms: { control: a, canary: a }
    rollout: { steps: [5, 50], minBake: 1h }
  - name: plain
    arms: { control: a }
`);
    admin = fl.adminUrl;
  });
  afterAll(async () => {
    await fl.close();
    await up.close();
  });

  it('shows each guarded variant with its weight and phase', async () => {
    const r = await cli(['status', '--admin', admin, '--token', 't0k']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('route checkout');
    expect(r.out).toMatch(/canary\s+5%\s+progressing\s+step 1\/2 \(5 → 50%\)/);
  });

  it('pauses and rolls back by hand, recording who did it', async () => {
    const pause = await cli(['pause', 'checkout', '--admin', admin], { FIELDLAB_ADMIN_TOKEN: 't0k' });
    expect(pause.code).toBe(0);
    expect(pause.out).toMatch(/^checkout\/canary: pause 5% → 5%/m);
    const rb = await cli(['rollback', 'checkout', '--arm', 'canary', '--admin', admin, '--token', 't0k']);
    expect(rb.out).toMatch(/^checkout\/canary: manual-rollback 5% → 0%/m);
    const status = await cli(['status', '--json', '--admin', admin, '--token', 't0k']);
    const body = JSON.parse(status.out) as { decisions: { action: string; actor: string }[] };
    expect(body.decisions.map((d) => d.action)).toEqual(['manual-rollback', 'pause']);
    expect(body.decisions[0]!.actor).toMatch(/^cli:/);
  });

  it('a no-op action says so and exits non-zero; --reason and --actor are stored; without $USER the host name acts', async () => {
    // A no-op is neither a success nor a failure: it says what happened and exits 3.
    const again = await cli(['rollback', 'checkout', '--admin', admin, '--token', 't0k']);
    expect(again).toMatchObject({ code: 3, out: 'checkout: nothing changed — canary is already rolled back [FL_NO_CHANGE]\n' });
    const promote = await cli(['promote', 'checkout', '--admin', admin, '--token', 't0k']);
    expect(promote.code, promote.out + promote.err).toBe(0);
    expect(await cli(['promote', 'checkout', '--admin', admin, '--token', 't0k'])).toMatchObject({
      code: 3,
      out: expect.stringContaining('nothing changed — canary is already promoted [FL_NO_CHANGE]'),
    });
    expect((await cli(['rollback', 'checkout', '--admin', admin, '--token', 't0k'])).code).toBe(0);
    const resume = await cli(['resume', 'checkout', '--reason', 'fix deployed', '--actor', 'carol', '--admin', admin, '--token', 't0k']);
    expect(resume.code).toBe(0);
    const pause = await cli(['pause', 'checkout', '--admin', admin, '--token', 't0k'], { USER: '', LOGNAME: '' });
    expect(pause.code).toBe(0);
    const body = JSON.parse((await cli(['status', '--json', '--admin', admin, '--token', 't0k'])).out) as {
      decisions: { action: string; actor: string; note?: string; at: string }[];
    };
    expect(
      body.decisions.find((d) => d.action === 'resume'),
      JSON.stringify(body.decisions),
    ).toMatchObject({ actor: 'carol', note: 'fix deployed' });
    expect(body.decisions[0]!.actor).toMatch(/^cli:.+/);
    expect(body.decisions[0]!.actor).not.toContain('unknown');
    expect(body.decisions[0]!.at).toMatch(/^\d{4}-\d\d-\d\dT/);
    const text = await cli(['status', '--admin', admin, '--token', 't0k']);
    expect(text.out).toMatch(/waiting for: paused: waits for `fieldlab resume`; bake/);
    expect(text.out).toContain('route plain: no guardrails (insufficient evidence');
  });

  it('explains refusals with the error code and exits non-zero', async () => {
    expect(await cli(['pause', 'plain', '--admin', admin, '--token', 't0k'])).toMatchObject({
      code: 1,
      err: expect.stringContaining('FL_NO_GUARDRAILS'),
    });
    expect(await cli(['pause', 'nope', '--admin', admin, '--token', 't0k'])).toMatchObject({
      code: 2,
      err: 'fieldlab pause: no route "nope" — routes: checkout, plain [FL_ROUTE_NOT_FOUND]\n',
    });
    expect(await cli(['status', '--route', 'chekout', '--admin', admin, '--token', 't0k'])).toMatchObject({
      code: 2,
      err: 'fieldlab status: no route "chekout", did you mean "checkout"? — routes: checkout, plain [FL_ROUTE_NOT_FOUND]\n',
    });
    expect(await cli(['status', '--rute', 'x', '--admin', admin])).toMatchObject({
      code: 2,
      err: expect.stringContaining('unknown flag --rute'),
    });
    expect(await cli(['status', '--admin', admin])).toMatchObject({ code: 1, err: expect.stringContaining('FL_ADMIN_UNAUTHORIZED') });
    expect(await cli(['status', '--admin', 'http://127.0.0.1:1'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('cannot reach the admin API'),
    });
    expect((await cli(['pause'])).code).toBe(2);
    expect(await cli(['pause', 'checkout', '--arm', 'nope', '--admin', admin, '--token', 't0k'])).toMatchObject({
      code: 2,
      err: expect.stringContaining('has no variant "nope"'),
    });
  });
});
