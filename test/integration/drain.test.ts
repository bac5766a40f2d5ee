// The real CLI process: SIGHUP reloads, SIGTERM drains in-flight requests and exits 0.
import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { request } from 'undici';
import { freePort } from '../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';
import { pollFor as until } from '../helpers/wait.js';

const CLI = resolve('dist/src/cli/main.js');

describe('fieldlab start (process)', () => {
  let child: ChildProcess | undefined;
  let up: TestUpstream | undefined;
  const tmp = tempDir();
  afterEach(async () => {
    child?.kill('SIGKILL');
    await up?.close();
  });

  async function launch(yaml: string) {
    const file = join(tmp.dir, 'fieldlab.yaml');
    writeFileSync(file, yaml);
    child = spawn(process.execPath, [CLI, 'start', '--config', file, '--no-watch'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const exited = new Promise<number | null>((ok) => child!.once('exit', (code) => ok(code)));
    return { file, exited };
  }

  it('drains in-flight requests on SIGTERM, refuses new ones, and exits 0', async () => {
    up = await startUpstream('slow', (_req, res) => setTimeout(() => res.end('finished'), 600));
    const [port, admin] = [await freePort(), await freePort()];
    const { exited } = await launch(
      `store: "sqlite::memory:"\nlisten: 127.0.0.1:${port}\nadmin: { listen: 127.0.0.1:${admin} }\nupstreams: { s: ${up.url} }\nroutes: [{ name: r, arms: { control: s } }]\n`,
    );
    await until(async () => ((await request(`http://127.0.0.1:${admin}/readyz`)).statusCode === 200 ? true : undefined));
    const inFlight = request(`http://127.0.0.1:${port}/work`);
    await until(async () => (up!.seen.length > 0 ? true : undefined));
    child!.kill('SIGTERM');
    await until(async () => {
      const res = await request(`http://127.0.0.1:${admin}/readyz`).catch(() => ({ statusCode: 503 }));
      return res.statusCode === 503 ? true : undefined;
    });
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('finished');
    expect(await exited).toBe(0);
    await expect(request(`http://127.0.0.1:${port}/work`)).rejects.toThrow();
  });

  it('reloads on SIGHUP and keeps the old config when the new one is broken', async () => {
    up = await startUpstream('a');
    const [port, admin] = [await freePort(), await freePort()];
    const base = `store: "sqlite::memory:"\nlisten: 127.0.0.1:${port}\nadmin: { listen: 127.0.0.1:${admin} }\nupstreams: { a: ${up.url} }\n`;
    const { file, exited } = await launch(`${base}routes: [{ name: r, match: { path: /one }, arms: { control: a } }]\n`);
    const version = async () =>
      (await (await request(`http://127.0.0.1:${admin}/config`)).body.json()) as { version: number; lastReload: { ok: boolean } | null };
    await until(async () => ((await version()).version === 1 ? true : undefined));
    writeFileSync(file, `${base}routes: [{ name: r, match: { path: /two }, arms: { control: a } }]\n`);
    child!.kill('SIGHUP');
    await until(async () => ((await version()).version === 2 ? true : undefined));
    expect((await request(`http://127.0.0.1:${port}/two`)).statusCode).toBe(200);
    writeFileSync(file, `${base}routes: [{ name: r, match: { path: /three }, arms: { control: nope } }]\n`);
    child!.kill('SIGHUP');
    await until(async () => ((await version()).lastReload?.ok === false ? true : undefined));
    expect((await version()).version).toBe(2);
    expect((await request(`http://127.0.0.1:${port}/two`)).statusCode).toBe(200);
    child!.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('refuses to start on an invalid config and names the file, line and key', async () => {
    const { file, exited } = await launch(`upstreams: { a: http://127.0.0.1:1 }\nroutes:\n  - name: r\n    arms: { control: b }\n`);
    let stderr = '';
    child!.stderr!.on('data', (c) => (stderr += c));
    expect(await exited).toBe(1);
    expect(stderr).toContain(`${file}:4:22 routes[0].arms.control: unknown upstream "b", did you mean "a"?`);
  });
});
