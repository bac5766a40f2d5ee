// The README's first command: `npm start` runs `fieldlab demo`. It must show the split, a shadow
// diff with the deliberate regression, and a guardrail rollback, on a fresh store.
import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/servers.js';

describe('fieldlab demo', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('shows a sticky split, the dark build regression as real, and the failing canary rolled back', async () => {
    const child = spawn(process.execPath, [resolve('dist/src/cli/main.js'), 'demo', '--users', '100'], {
      env: {
        ...process.env,
        FIELDLAB_DEMO_LISTEN: '127.0.0.1:0',
        FIELDLAB_DEMO_ADMIN: '127.0.0.1:0',
        FIELDLAB_DEMO_STORE: `sqlite:${join(tmp.dir, 'demo.db')}`,
        FIELDLAB_DEMO_CANARY_FAILS_AFTER: '2',
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
    expect(out).toMatch(/search\/variant: rollback 10% → 0%/);
    expect(exit).toBe(0);
  }, 45_000);
});
