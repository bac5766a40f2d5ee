// The README's first command: `npm start` runs `fieldlab demo`. It must show the split, a shadow
// diff with the deliberate regression, and a guardrail rollback, on a fresh store.
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/servers.js';

describe('fieldlab demo', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('shows a sticky split, the dark build regression as real, and the failing canary rolled back', async () => {
    // What a previous run left behind (here: not even a database) must not leak into this run.
    const store = join(tmp.dir, 'demo.db');
    writeFileSync(store, 'a previous run');
    writeFileSync(`${store}-wal`, 'its WAL');
    const child = spawn(process.execPath, [resolve('dist/src/cli/main.js'), 'demo', '--users', '100'], {
      env: {
        ...process.env,
        FIELDLAB_DEMO_LISTEN: '127.0.0.1:0',
        FIELDLAB_DEMO_ADMIN: '127.0.0.1:0',
        FIELDLAB_DEMO_STORE: `sqlite:${store}`,
        FIELDLAB_DEMO_CANARY_FAILS_AFTER: '2',
        FIELDLAB_DEMO_TRACES: '127.0.0.1:0',
      },
    });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    try {
      for (let i = 0; i < 300 && !/search\/variant: rollback/.test(out); i++) await new Promise((r) => setTimeout(r, 100));
    } finally {
      child.kill('SIGTERM');
    }
    const exit = await new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    expect(out).toMatch(/100\/100 users kept their arm/);
    expect(out).toMatch(/real\s+body:\$\.cart\.total \(value\)/);
    expect(out).toMatch(/noise\s+body:\$\.nonce \(value\)/);
    // Span-tree diffs: the dark build's new dependency, from the spans its services sent.
    expect(out).toMatch(/real\s+trace:calls:fraud-check POST \/fraud-check \(added\)/);
    expect(out).toMatch(/search\/variant: rollback 10% → 0%/);
    expect(exit).toBe(0);
    expect(out).toContain(`store    fresh store sqlite:${store} (the previous run's data was removed; --resume keeps it)`);
    // The hints name the ports and store this run really uses, not config/demo.yaml's defaults.
    const admin = /admin {4}(http:\/\/127\.0\.0\.1:\d+)\/routes/.exec(out)?.[1];
    expect(admin).toBeDefined();
    expect(admin).not.toBe('http://127.0.0.1:9901');
    expect(out).toContain(`npx fieldlab status --admin ${admin} `);
    expect(out).toContain(`dashboard ${admin}/ `);
    // The experiment's results and SRM status, a minute into the demo at most, and how to see more.
    expect(out).toMatch(/Experiment on route "checkout"[^\n]*\n {2}control \d+ units, variant \d+ units; early/);
    expect(out).toMatch(/goal cart-views \(count\): variant vs control/);
    expect(out).toMatch(/sample ratio: p = [\d.e+-]+ \(ok\); alarms: /);
    expect(out).toContain(`npx fieldlab results checkout --admin ${admin} `);
    expect(out).toContain(`npx fieldlab diffs --store sqlite:${store} `);
  }, 45_000);

  it('refuses an unknown flag or a bad --users with exit 2 and the usage, before starting anything', () => {
    const demo = (...args: string[]) =>
      spawnSync(process.execPath, [resolve('dist/src/cli/main.js'), 'demo', ...args], { encoding: 'utf8' });
    const r = demo('--user', '5');
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('unknown flag --user, did you mean --users?');
    expect(r.stderr).toContain('usage: fieldlab demo [--users N] [--resume]');
    for (const bad of ['abc', '0', '-5', '2.5', '1000001']) {
      const b = demo('--users', bad);
      expect(b.status, bad).toBe(2);
      expect(b.stderr, bad).toMatch(/invalid --users|needs a value/);
    }
  });
});
