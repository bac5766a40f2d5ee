import { randomBytes } from 'node:crypto';
// `fieldlab start --workers 2` as real processes on real sockets: both workers serve the one port,
// a failing variant is rolled back once by the primary with the decision a single process makes on
// the same traffic, every worker stops routing to it, shadow diffs and rollups add up to the
// traffic sent, the primary's live dashboard series add up to every worker's requests, SIGTERM drains every worker (exit 0), a killed worker is restarted, and a reload
// (good or bad) reaches every worker.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openStore } from '../../src/storage/open.js';
import { type Replica, type ReplicaPorts, eventually, freePort, startReplica } from '../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';

interface Decision {
  action: string;
  arm: string;
  rule: string;
}
interface WorkersBody {
  sharing: string;
  workers: { index: number; pid: number | null; state: string; restarts: number; lastExit: { signal: string | null } | null }[];
}

const USERS = 400;
const CLI = fileURLToPath(new URL('../../dist/src/cli/main.js', import.meta.url));

describe('workers: one Fieldlab on every core', () => {
  const tmp = tempDir();
  let control: TestUpstream, variant: TestUpstream, dark: TestUpstream;
  const running: Replica[] = [];

  const yaml =
    (db: string, split = 20, access = true) =>
    ({ listen, admin }: ReplicaPorts) =>
      `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: sqlite:${join(tmp.dir, db)}
log: { level: info, access: ${access} }
drainTimeout: 2s
upstreams: { control: ${control.url}, variant: ${variant.url}, dark: ${dark.url} }
routes:
  - name: checkout
    arms: { control: control, variant: variant }
    split: { variant: ${split} }
    sticky: [header:x-user-id]
    shadow: [{ to: dark, percent: 100 }]
    guardrails: { clientCap: 0 }
`;

  /** `/slow` answers after 1.5 s, anything else at once. */
  const later = (req: { url?: string }, answer: () => void) => (req.url === '/slow' ? setTimeout(answer, 1500) : answer());
  beforeAll(async () => {
    control = await startUpstream('control', (q, res) => later(q, () => res.setHeader('x-served-by', 'control').end('{"ok":true}')));
    variant = await startUpstream('variant', (q, res) =>
      later(q, () => {
        res.setHeader('x-served-by', 'variant');
        res.statusCode = 500;
        res.end('boom');
      }),
    );
    dark = await startUpstream('dark', (_q, res) => res.end('{"ok":false}'));
  });
  afterAll(async () => {
    await Promise.all(running.map((r) => r.kill()));
    await Promise.all([control.close(), variant.close(), dark.close()]);
    tmp.remove();
  });

  const start = async (id: string, db: string, args: string[] = [], ports?: ReplicaPorts, access = true) => {
    const r = await startReplica(id, tmp.dir, yaml(db, 20, access), {}, args, ports);
    running.push(r);
    return r;
  };

  /** The same users in the same order every time, 20 at once, each on a connection of its own. */
  const served: Record<string, number> = {};
  const variantTraceIds = new Set<string>();
  const drive = async (r: Replica, n: number, from = 0) => {
    const seen: Record<string, number> = {};
    for (let i = 0; i < n; i += 20) {
      await Promise.all(
        Array.from({ length: Math.min(20, n - i) }, async (_, j) => {
          const traceId = randomBytes(16).toString('hex');
          const traceparent = `00-${traceId}-${randomBytes(8).toString('hex')}-01`;
          const res = await request(`${r.url}/buy`, { headers: { 'x-user-id': `u${from + i + j}`, traceparent }, reset: true });
          const by = String(res.headers['x-served-by']);
          if (by === 'variant') variantTraceIds.add(traceId);
          seen[by] = (seen[by] ?? 0) + 1;
          served[by] = (served[by] ?? 0) + 1;
          await res.body.text();
        }),
      );
    }
    return seen;
  };
  const decisions = async (r: Replica) => (await r.admin<{ decisions: Decision[] }>('/decisions.json')).body.decisions;
  const firstDecision = (r: Replica) => eventually(async () => (await decisions(r))[0], 20_000, 'a decision');
  const pidsServing = (r: Replica) =>
    new Set(
      r
        .output()
        .filter((l) => l.includes('"type":"access"'))
        .map((l) => {
          // Two processes' batches on one pipe can interleave under load: skip a line that doesn't parse.
          try {
            return (JSON.parse(l) as { pid?: number }).pid;
          } catch {
            return undefined;
          }
        })
        .filter((pid) => pid !== undefined),
    );
  /** What the store holds once the process is gone: pairs compared and requests rolled up. */
  const stored = async (db: string) => {
    const stores = await openStore(`sqlite:${join(tmp.dir, db)}`, { worker: false });
    const rows = await stores.diffs.rows({});
    const minutes = await stores.guardrails.minutes({ route: 'checkout' });
    await stores.close();
    return {
      pairs: rows.pairs.reduce((n, p) => n + p.count, 0),
      skips: Object.fromEntries(rows.skips.map((k) => [k.reason, k.count])),
      requests: minutes.filter((m) => !m.arm.startsWith('shadow:')).reduce((n, m) => n + m.requests, 0),
    };
  };

  let single: Decision;

  const total = () => (served.control ?? 0) + (served.variant ?? 0);
  const reset = () => {
    for (const k of Object.keys(served)) delete served[k];
  };

  it('a single process rolls the failing variant back (the baseline)', async () => {
    reset();
    const r = await start('single', 'single.db');
    expect((await drive(r, USERS)).variant).toBeGreaterThan(0);
    single = await firstDecision(r);
    expect(single).toMatchObject({ action: 'rollback', arm: 'variant' });
    await r.stop();
    expect(r.proc.exitCode).toBe(0);
    // Shadows mirror the control arm (the default): one pair per control request.
    expect(await stored('single.db')).toEqual({ pairs: served.control, skips: {}, requests: USERS });
  });

  it('--workers 2: both serve, one rollback equal to the single process, applied by every worker; SIGTERM drains', async () => {
    reset();
    const r = await start('group', 'group.db', ['--workers', '2']);
    const w = (await r.admin<WorkersBody>('/workers')).body;
    expect(w.sharing).toBe('cluster');
    expect(w.workers.map((x) => x.state)).toEqual(['ready', 'ready']);
    expect(new Set(w.workers.map((x) => x.pid)).size).toBe(2);

    expect((await drive(r, USERS)).variant).toBeGreaterThan(0);
    // The primary serves no traffic, yet its dashboard charts every request: the workers' seconds, summed.
    type Live = { arms: Record<string, { requests: number[]; p99Ms: (number | null)[] }> };
    const live = await eventually(
      async () => {
        const body = (await r.admin<Live>('/dashboard/live.json?route=checkout')).body;
        const arms = Object.entries(body.arms).filter(([arm]) => !arm.startsWith('shadow:'));
        return arms.reduce((n, [, a]) => n + a.requests.reduce((x, y) => x + y, 0), 0) === USERS ? body : undefined;
      },
      10_000,
      "the workers' seconds on the primary's live series",
    );
    expect(live.arms.variant!.requests.reduce((a, b) => a + b, 0)).toBe(served.variant);
    expect(live.arms.control!.p99Ms.some((v) => v !== null)).toBe(true);
    // Trace exemplars: the primary serves nothing, yet its route page lists the group's newest 5xx —
    // each worker hands over what it keeps (trace id: the client's traceparent here, no tracing).
    type Route = { exemplars: { arm: string; errors: { traceId: string | null; status: number }[] }[] };
    const ex = await eventually(
      async () => {
        const body = (await r.admin<Route>('/dashboard/route.json?route=checkout')).body;
        const errors = body.exemplars.find((a) => a.arm === 'variant')?.errors ?? [];
        return errors.length === Math.min(5, served.variant ?? 0) ? errors : undefined;
      },
      10_000,
      "the workers' exemplars on the primary",
    );
    expect(ex.every((e) => e.status === 500 && e.traceId !== null && variantTraceIds.has(e.traceId))).toBe(true);
    const d = await firstDecision(r);
    expect({ action: d.action, arm: d.arm, rule: d.rule }).toEqual({ action: single.action, arm: single.arm, rule: single.rule });
    // Every worker applies it: no user reaches the variant any more, whichever worker serves them.
    await eventually(async () => (await drive(r, 40, USERS)).variant === undefined, 10_000, 'no more variant traffic');
    expect((await drive(r, 200, USERS)).variant).toBeUndefined();
    // Decided once, by the primary: a second decider would have rolled back again.
    expect((await decisions(r)).filter((x) => x.action === 'rollback')).toHaveLength(1);
    // Distinct worker pids served the requests (access lines carry the worker's pid).
    await eventually(async () => pidsServing(r).size === 2, 5_000, 'access lines of both workers');
    expect([...pidsServing(r)].sort()).toEqual(w.workers.map((x) => x.pid).sort());
    // The group's metrics: every worker's counters, labelled.
    const metrics = await (await request(`${r.adminUrl}/metrics`)).body.text();
    expect(metrics).toMatch(/fieldlab_requests_total\{worker="1",route="checkout"/);
    expect(metrics).toMatch(/fieldlab_requests_total\{worker="2",route="checkout"/);

    await r.stop();
    expect(r.proc.exitCode).toBe(0);
    expect(r.output().filter((l) => l.includes('"msg":"worker stopped"') && l.includes('"code":0'))).toHaveLength(2);
    // One writer, every batch of both workers: each mirrored pair and each request counted once.
    expect(await stored('group.db')).toEqual({ pairs: served.control, skips: {}, requests: total() });
  });

  it('restarts a killed worker, and a reload (good or bad) reaches every worker', async () => {
    const ports = { listen: await freePort(), admin: await freePort() };
    // No access lines: under load, big log batches of the workers and the primary's lines share one
    // stdout pipe, and this test reads the primary's lines.
    const r = await start('restart', 'restart.db', ['--workers', '2'], ports, false);
    const before = (await r.admin<WorkersBody>('/workers')).body.workers;
    // The file on disk is broken (not reloaded: --no-watch); a restarted worker runs the primary's config, not the file.
    writeFileSync(join(tmp.dir, 'restart.yaml'), 'routes: [');
    process.kill(before[0]!.pid!, 'SIGKILL');
    const after = await eventually(
      async () => {
        const ws = (await r.admin<WorkersBody>('/workers')).body.workers;
        return ws[0]!.state === 'ready' && ws[0]!.pid !== before[0]!.pid ? ws : undefined;
      },
      15_000,
      'worker 1 restarted',
    );
    expect(after[0]).toMatchObject({ restarts: 1, lastExit: { signal: 'SIGKILL' } });
    expect(after[1]!.pid).toBe(before[1]!.pid);
    expect(r.output().some((l) => l.includes('worker exited; restarting it') && l.includes('"signal":"SIGKILL"'))).toBe(true);
    expect((await request(`${r.adminUrl}/readyz`)).statusCode).toBe(200);
    expect(await drive(r, 40)).toMatchObject({ control: expect.any(Number) });

    const versions = async () => {
      const text = await (await request(`${r.adminUrl}/metrics`)).body.text();
      return [...text.matchAll(/^fieldlab_config_version\{worker="(\w+)"\} (\d+)$/gm)].map((m) => `${m[1]}=${m[2]}`).sort();
    };
    // A good edit: reloaded once by the primary, applied by both workers.
    writeFileSync(join(tmp.dir, 'restart.yaml'), yaml('restart.db', 10, false)(ports));
    r.proc.kill('SIGHUP');
    await eventually(async () => (await versions()).join() === '1=2,2=2,primary=2', 10_000, 'version 2 everywhere');
    // A broken edit: refused by the primary, so every worker keeps version 2.
    writeFileSync(join(tmp.dir, 'restart.yaml'), 'routes: [');
    r.proc.kill('SIGHUP');
    await eventually(async () => (await r.admin<{ lastReload?: { ok: boolean } }>('/config')).body.lastReload?.ok === false, 5_000);
    await new Promise((res) => setTimeout(res, 1500));
    expect(await versions()).toEqual(['1=2', '2=2', 'primary=2']);

    // A hung worker (stopped, silent) is killed and replaced.
    const hung = after[1]!.pid!;
    process.kill(hung, 'SIGSTOP');
    const replaced = await eventually(
      async () => {
        const ws = (await r.admin<WorkersBody>('/workers')).body.workers;
        return ws[1]!.state === 'ready' && ws[1]!.pid !== hung ? ws[1] : undefined;
      },
      25_000,
      'the hung worker replaced',
    );
    expect(replaced).toMatchObject({ restarts: 1, lastExit: { signal: 'SIGKILL' } });
    expect(r.output().some((l) => l.includes('worker unresponsive; killing it'))).toBe(true);

    await r.stop();
    expect(r.proc.exitCode).toBe(0);
  });

  it('a primary killed with -9: workers finish in-flight requests, then exit', async () => {
    const r = await start('orphans', 'orphans.db', ['--workers', '2']);
    const pids = (await r.admin<WorkersBody>('/workers')).body.workers.map((x) => x.pid!);
    const inFlight = Array.from({ length: 4 }, (_, i) =>
      request(`${r.url}/slow`, { headers: { 'x-user-id': `slow${i}` }, reset: true }).then(async (res) => {
        await res.body.text();
        return res.statusCode;
      }),
    );
    await new Promise((res) => setTimeout(res, 500));
    await r.kill();
    // Answered by the upstream (200 control, 500 variant), not cut by the proxy.
    for (const status of await Promise.all(inFlight)) expect([200, 500]).toContain(status);
    const alive = (pid: number) => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    await eventually(async () => pids.every((p) => !alive(p)), 10_000, 'the workers to exit');
  });

  it('a group whose workers cannot listen does not start: exit 1 with the reason', async () => {
    const taken = createServer();
    await new Promise<void>((res) => taken.listen(0, '127.0.0.1', res));
    const ports = { listen: (taken.address() as AddressInfo).port, admin: await freePort() };
    const file = join(tmp.dir, 'taken.yaml');
    writeFileSync(file, yaml('taken.db')(ports));
    const proc = spawn(process.execPath, [CLI, 'start', '--config', file, '--workers', '2'], {
      cwd: tmp.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    proc.stdout.on('data', (c: Buffer) => (out += c.toString()));
    proc.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((res) => proc.once('exit', (c) => res(c)));
    taken.close();
    expect(code).toBe(1);
    expect(out).toMatch(/could not start \[FL_LISTEN_FAILED\]: worker \d: could not listen on 127\.0\.0\.1:\d+: EADDRINUSE/);
  });
});
