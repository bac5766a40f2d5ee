// SIGTERM with a pre-stop delay (drainDelay), as Kubernetes and load balancers need it: readiness
// fails at once, new connections are still served for the delay, then the drain runs and the
// process exits 0. And a store that can't be opened stops start-up with the path and the key.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { freePort } from '../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';
import { pollFor as until } from '../helpers/wait.js';

const CLI = resolve('dist/src/cli/main.js');

describe('drainDelay', () => {
  let child: ChildProcess | undefined;
  let up: TestUpstream | undefined;
  const tmp = tempDir();
  afterEach(async () => {
    child?.kill('SIGKILL');
    await up?.close();
  });
  afterAll(() => tmp.remove());

  it('answers 503 on /readyz while still accepting new connections, then drains and exits 0', async () => {
    up = await startUpstream('a');
    const [port, admin, metrics] = [await freePort(), await freePort(), await freePort()];
    const file = join(tmp.dir, 'fieldlab.yaml');
    writeFileSync(
      file,
      `store: "sqlite::memory:"\nlisten: 127.0.0.1:${port}\nadmin: { listen: 127.0.0.1:${admin} }\nmetrics: { listen: 127.0.0.1:${metrics} }\n` +
        `drainDelay: 3s\ndrainTimeout: 2s\nupstreams: { a: ${up.url} }\nroutes: [{ name: r, arms: { control: a } }]\n`,
    );
    child = spawn(process.execPath, [CLI, 'start', '--config', file, '--no-watch'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let log = '';
    child.stdout!.on('data', (c) => (log += c));
    const exited = new Promise<number | null>((ok) => child!.once('exit', (code) => ok(code)));
    const ready = (base: number) =>
      request(`http://127.0.0.1:${base}/readyz`).then(async (r) => {
        await r.body.dump();
        return r.statusCode;
      });
    await until(async () => ((await ready(metrics)) === 200 ? true : undefined));
    const before = await request(`http://127.0.0.1:${port}/early`);
    await before.body.dump();
    expect(before.headers.connection).toBe('keep-alive');
    child.kill('SIGTERM');
    await until(async () => ((await ready(metrics)) === 503 ? true : undefined));
    expect(await ready(admin)).toBe(503);
    // Not ready, yet a brand-new connection (no keep-alive reuse) is still served.
    const res = await request(`http://127.0.0.1:${port}/late`, { reset: true });
    expect(res.statusCode).toBe(200);
    await res.body.dump();
    // A keep-alive client is told to reconnect rather than reuse a connection the drain will close.
    const kept = await request(`http://127.0.0.1:${port}/kept`);
    await kept.body.dump();
    expect(kept.headers.connection).toBe('close');
    expect(await exited).toBe(0);
    // The log is asynchronous, so its order is checked once the process is gone.
    const delayAt = log.indexOf('"delayMs":3000');
    expect(delayAt).toBeGreaterThan(-1);
    expect(log.indexOf('"msg":"draining"')).toBeGreaterThan(delayAt);
    await expect(request(`http://127.0.0.1:${port}/after`)).rejects.toThrow();
  });
});

describe('a store that cannot be opened', () => {
  const tmp = tempDir();
  afterAll(() => tmp.remove());

  const start = (store: string) => {
    const file = join(tmp.dir, `c-${Math.random().toString(36).slice(2)}.yaml`);
    writeFileSync(file, `listen: 127.0.0.1:0\nadmin: { listen: 127.0.0.1:0 }\nstore: "${store}"\nupstreams: { a: http://127.0.0.1:9 }\n`);
    return spawnSync(process.execPath, [CLI, 'start', '--config', file, '--no-watch'], { encoding: 'utf8', timeout: 15_000 });
  };

  it('names the path and the config key when the directory is not writable (read-only root filesystem)', () => {
    // A regular file where a directory should be fails for root too, like a read-only mount does.
    const blocker = join(tmp.dir, 'readonly');
    writeFileSync(blocker, '');
    const r = start(`sqlite:${blocker}/data/fieldlab.db`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`FL_STORE_OPEN: cannot open store.url "sqlite:${blocker}/data/fieldlab.db"`);
    expect(r.stderr).toContain(`${blocker} is not a directory`);
  });

  it('names the path when SQLite itself refuses the file', () => {
    const dir = join(tmp.dir, 'isdir.db');
    mkdirSync(dir);
    const r = start(`sqlite:${dir}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain(`FL_STORE_OPEN: cannot open store.url "sqlite:${dir}"`);
    expect(r.stderr).toContain(`(${dir})`);
  });

  it('fails at once under /proc instead of spinning in mkdir', () => {
    const r = start('sqlite:/proc/self/fieldlab/fieldlab.db');
    expect(r.signal).toBeNull();
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('FL_STORE_OPEN: cannot open store.url "sqlite:/proc/self/fieldlab/fieldlab.db"');
  });
});
