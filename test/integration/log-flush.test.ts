// Logs are not held in a buffer: the startup line and a reload error are on stdout while the
// process runs, so a kill -9 right after loses neither (issue 9 item 7).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startUpstream, tempDir } from '../helpers/servers.js';
import { waitFor } from '../helpers/wait.js';

describe('log flushing', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  it('writes "fieldlab started", an access line and a reload error before a kill -9', async () => {
    const up = await startUpstream('u');
    const file = join(tmp.dir, 'fieldlab.yaml');
    writeFileSync(
      file,
      `listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nstore: sqlite:${join(tmp.dir, 'f.db')}\n` +
        `upstreams: { c: ${up.url} }\nroutes:\n  - { name: r, match: { path: /* }, arms: { control: c } }\n`,
    );
    const child = spawn(process.execPath, [resolve('dist/src/cli/main.js'), 'start', '--config', file, '--no-watch']);
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    const exited = new Promise<NodeJS.Signals | null>((r) => child.once('exit', (_code, signal) => r(signal)));
    try {
      await waitFor(() => out.includes('"msg":"fieldlab started"'));
      // Access lines are batched, but flushed by the timer within ~250 ms, not at 4 KiB.
      const listen = /"listen":"([\d.]+:\d+)"/.exec(out)![1];
      await (await fetch(`http://${listen}/x`)).text();
      await waitFor(() => out.includes('"type":"access"'));
      writeFileSync(file, 'routes: [ { name: 1 } ]\n');
      child.kill('SIGHUP');
      await waitFor(() => out.includes('config reload rejected'));
    } finally {
      child.kill('SIGKILL');
      await up.close();
    }
    expect(await exited).toBe('SIGKILL');
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { msg: string; type?: string; level: string });
    expect(lines.find((l) => l.msg === 'fieldlab started')).toBeDefined();
    expect(lines.find((l) => l.type === 'reload' && l.level === 'error')).toBeDefined();
  });
});
