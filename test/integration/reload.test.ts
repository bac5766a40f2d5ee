// Hot reload: swaps are atomic, in-flight requests finish on their snapshot, a bad file never
// replaces a good one, and the file watcher picks up edits by itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Pool, request } from 'undici';
import { startFieldlab, startUpstream, type TestFieldlab, type TestUpstream } from '../helpers/servers.js';

const conf = (control: string, variant: string, pct: number) => `
upstreams: { c: ${control}, v: ${variant} }
routes:
  - name: r
    match: { path: /api/* }
    arms: { control: c, variant: v }
    split: { variant: ${pct} }
    sticky: [header:x-user-id]
`;

async function waitFor(check: () => Promise<boolean> | boolean, timeoutMs = 5_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('hot reload', () => {
  let ups: TestUpstream[];
  let slow: TestUpstream;
  let fl: TestFieldlab;
  beforeAll(async () => {
    ups = await Promise.all(['a', 'b', 'c', 'd'].map((n) => startUpstream(n)));
    slow = await startUpstream('slow', (_req, res) => setTimeout(() => res.end('slow done'), 400));
    fl = await startFieldlab(conf(ups[0]!.url, ups[1]!.url, 50), { watch: true });
  });
  afterAll(async () => {
    await fl.close();
    await Promise.all([...ups, slow].map((u) => u.close()));
  });

  it('reloads under load with zero failed requests', async () => {
    const pool = new Pool(fl.url, { connections: 8 });
    let stop = false;
    const statuses: number[] = [];
    const loops = Array.from({ length: 8 }, async (_, i) => {
      let n = 0;
      while (!stop) {
        const res = await pool.request({ path: '/api/x', method: 'GET', headers: { 'x-user-id': `u${i}-${n++}` } });
        await res.body.text();
        statuses.push(res.statusCode);
      }
    });
    const startVersion = fl.app.config.current().version;
    for (let i = 0; i < 12; i++) {
      const [x, y] = i % 2 ? [ups[2]!, ups[3]!] : [ups[0]!, ups[1]!];
      fl.writeConfig(conf(x.url, y.url, 10 + i * 5));
      const r = await fl.app.reload('test');
      expect(r.ok).toBe(true);
      // Traffic between reloads is counted, not timed: a busy machine slows the loops, never the check.
      const seen = statuses.length;
      while (statuses.length < seen + 10) await new Promise((r) => setTimeout(r, 5));
    }
    stop = true;
    await Promise.all(loops);
    await pool.close();
    expect(fl.app.config.current().version).toBeGreaterThanOrEqual(startVersion + 12);
    expect(statuses.length).toBeGreaterThan(100);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
  });

  it('lets an in-flight request finish on the upstream a reload removed', async () => {
    fl.writeConfig(conf(slow.url, slow.url, 0));
    await fl.app.reload('test');
    const inFlight = request(`${fl.url}/api/slow`);
    await waitFor(() => slow.seen.length > 0);
    fl.writeConfig(conf(ups[0]!.url, ups[1]!.url, 50));
    expect((await fl.app.reload('test')).ok).toBe(true);
    const res = await inFlight;
    expect(res.statusCode).toBe(200);
    expect(await res.body.text()).toBe('slow done');
  });

  it('keeps serving the running config when the new file is invalid, and says why', async () => {
    const good = fl.app.config.current().version;
    fl.writeConfig(conf(ups[0]!.url, ups[1]!.url, 50).replace('split:', 'spilt:'));
    const r = await fl.app.reload('test');
    expect(r.ok).toBe(false);
    expect(r.errors).toEqual([`${fl.file}:10:5 routes[0].spilt: unknown key "spilt", did you mean "split"?`]);
    expect(fl.app.config.current().version).toBe(good);
    const res = await request(`${fl.url}/api/x`, { headers: { 'x-user-id': 'z' } });
    expect(res.statusCode).toBe(200);
    await res.body.text();
    const admin = (await (await request(`${fl.adminUrl}/config`)).body.json()) as {
      version: number;
      lastReload: { ok: boolean; errors: string[] };
    };
    expect(admin.version).toBe(good);
    expect(admin.lastReload.ok).toBe(false);
    expect(admin.lastReload.errors[0]).toContain('did you mean "split"');
  });

  it('picks up file edits by itself (watcher) and bumps the version once per change', async () => {
    const before = fl.app.config.current().version;
    fl.writeConfig(conf(ups[2]!.url, ups[3]!.url, 100));
    await waitFor(() => fl.app.config.current().version === before + 1);
    const res = await request(`${fl.url}/api/x`, { headers: { 'x-user-id': 'w' } });
    expect(((await res.body.json()) as { name: string }).name).toBe('d');
  });
});
