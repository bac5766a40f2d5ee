// The fault kill switch with `fieldlab start --workers 2` as real processes: `fieldlab faults off` on
// the primary reaches both workers (faulted answers stop within a second, held delays are released),
// the answer says how many workers were told, a worker restarted afterwards starts with faults off,
// and the switch is stored: the whole group restarted on the same SQLite file starts with it.
import { spawn } from 'node:child_process';
import { get } from 'node:http';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Replica, eventually, startReplica } from '../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';

const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));
const AUTH = { authorization: 'Bearer t0k' };

function cli(args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((ok) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: process.env });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.on('exit', (code) => ok({ code, out }));
  });
}

/** One GET on a connection of its own (so the cluster hands it to either worker): its status. */
function fresh(url: string): Promise<number> {
  return new Promise((ok, fail) => {
    get(url, { agent: false }, (res) => {
      res.resume();
      res.on('end', () => ok(res.statusCode ?? 0));
    }).on('error', fail);
  });
}
const statuses = async (url: string, n: number) => [...new Set(await Promise.all(Array.from({ length: n }, () => fresh(url))))].sort();

interface FaultsBody {
  enabled: boolean;
  workers?: { told: number; of: number };
}
interface WorkersBody {
  workers: { index: number; pid: number | null; state: string }[];
}

describe('faults kill switch with --workers 2', () => {
  const tmp = tempDir();
  let up: TestUpstream;
  let r: Replica;
  const yaml = ({ listen, admin }: { listen: number; admin: number }) => `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin}, token: t0k }
store: sqlite:${tmp.dir}/faults.db
log: { level: info, access: false }
drainTimeout: 1s
upstreams: { a: ${up.url} }
routes:
  - name: held
    match: { path: /held }
    arms: { control: a }
    fault: { by: request, delay: { percent: 100, fixed: 30s } }
  - name: broken
    arms: { control: a }
    fault: { by: request, abort: { percent: 100, status: 503 } }
`;
  beforeAll(async () => {
    up = await startUpstream('a');
    r = await startReplica('faults', tmp.dir, yaml, {}, ['--workers', '2']);
  }, 30_000);
  afterAll(async () => {
    await r?.kill();
    await up.close();
    tmp.remove();
  });

  const faults = async () => (await (await request(`${r.adminUrl}/faults`, { headers: AUTH })).body.json()) as FaultsBody;
  const workers = async () => (await (await request(`${r.adminUrl}/workers`, { headers: AUTH })).body.json()) as WorkersBody;

  it('off reaches every worker within a second, releases held delays, and a restarted worker starts off', async () => {
    expect(await statuses(`${r.url}/x`, 20)).toEqual([503]);
    // Held on both workers (fresh connections), 30 s each unless released.
    const held = Array.from({ length: 6 }, () => fresh(`${r.url}/held`).then((s) => ({ s, at: performance.now() })));
    await new Promise((d) => setTimeout(d, 300));

    const off = await cli(['faults', 'off', '--admin', r.adminUrl, '--token', 't0k']);
    const offAt = performance.now();
    expect(off.code).toBe(0);
    expect(off.out).toMatch(/^faults off since .* \(2 of 2 workers told\)/);
    expect(await faults()).toMatchObject({ enabled: false, workers: { told: 2, of: 2 } });

    for (const h of await Promise.all(held)) {
      expect(h.s).toBe(200);
      expect(h.at - offAt).toBeLessThan(1000);
    }
    // Every new request on either worker is forwarded now.
    await eventually(async () => (await statuses(`${r.url}/x`, 20)).join() === '200', 1000, 'no fault on any worker');

    // A worker restarted during the incident starts with the switch off.
    const before = (await workers()).workers;
    process.kill(before[0]!.pid!, 'SIGKILL');
    await eventually(
      async () => {
        const w = (await workers()).workers[0]!;
        return w.state === 'ready' && w.pid !== before[0]!.pid;
      },
      15_000,
      'worker 1 restarted',
    );
    expect(await statuses(`${r.url}/x`, 30)).toEqual([200]);

    // On again: both workers fault again.
    expect((await cli(['faults', 'on', '--admin', r.adminUrl, '--token', 't0k'])).code).toBe(0);
    await eventually(async () => (await statuses(`${r.url}/x`, 20)).join() === '503', 1000, 'faults back on every worker');
  }, 40_000);

  it('off is stored: the group restarted on the same store starts with faults off', async () => {
    const off = await cli(['faults', 'off', '--admin', r.adminUrl, '--token', 't0k', '--json']);
    expect(JSON.parse(off.out)).toMatchObject({ enabled: false, stored: true });
    await r.stop();
    r = await startReplica('faults-again', tmp.dir, yaml, {}, ['--workers', '2']);
    expect(await faults()).toMatchObject({ enabled: false });
    expect(await statuses(`${r.url}/x`, 20)).toEqual([200]);
    expect(r.output().some((l) => l.includes('stored kill switch'))).toBe(true);
    // On is stored too: the next start faults again.
    expect(JSON.parse((await cli(['faults', 'on', '--admin', r.adminUrl, '--token', 't0k', '--json'])).out)).toMatchObject({
      stored: true,
    });
    await r.stop();
    r = await startReplica('faults-third', tmp.dir, yaml, {}, ['--workers', '2']);
    expect(await statuses(`${r.url}/x`, 20)).toEqual([503]);
  }, 60_000);
});
