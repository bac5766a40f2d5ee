// fault.maxActive under `fieldlab start --workers 2` (real processes, SQLite): the cap is the
// group's, each worker holding its part (2 and 1 of 3), so eight held delays sent on fresh
// connections (the cluster spreads them) never get more than 3 faults in progress together;
// per-process caps would allow 6.
import { get } from 'node:http';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Replica, eventually, startReplica } from '../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../helpers/servers.js';

const AUTH = { authorization: 'Bearer t0k' };

describe('fault.maxActive with --workers 2', () => {
  const tmp = tempDir();
  let up: TestUpstream;
  let r: Replica;
  const yaml = ({ listen, admin }: { listen: number; admin: number }) => `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin}, token: t0k }
store: sqlite:${tmp.dir}/share.db
log: { level: warn, access: false }
drainTimeout: 1s
upstreams: { a: ${up.url} }
routes:
  - name: capped
    arms: { control: a }
    fault: { by: request, delay: { percent: 100, fixed: 30s }, maxActive: 3 }
`;
  beforeAll(async () => {
    up = await startUpstream('a');
    r = await startReplica('share', tmp.dir, yaml, {}, ['--workers', '2']);
  }, 30_000);
  afterAll(async () => {
    await r?.kill();
    await up.close();
    tmp.remove();
  });

  const sum = (text: string, re: RegExp) => [...text.matchAll(re)].reduce((a, m) => a + Number(m[1]), 0);

  it('holds at most maxActive across the workers; the rest go straight through', async () => {
    const done = Array.from(
      { length: 8 },
      () =>
        new Promise<number>((ok, fail) =>
          get(`${r.url}/x`, { agent: false }, (res) => {
            res.resume();
            res.on('end', () => ok(res.statusCode ?? 0));
          }).on('error', fail),
        ),
    );
    // Workers push their metrics to the primary every second or so: wait until all 8 are counted.
    const text = await eventually(
      async () => {
        const t = await (await request(`${r.adminUrl}/metrics`, { headers: AUTH })).body.text();
        const drawn =
          sum(t, /fieldlab_fault_injected_total\{[^}]*route="capped"[^}]*kind="delay"[^}]*\} (\d+)/g) +
          sum(t, /fieldlab_fault_skipped_total\{[^}]*route="capped"[^}]*reason="max-active"[^}]*\} (\d+)/g);
        return drawn === 8 && t;
      },
      15_000,
      'all 8 draws counted',
    );
    expect(sum(text, /fieldlab_fault_injected_total\{[^}]*route="capped"[^}]*kind="delay"[^}]*\} (\d+)/g)).toBeLessThanOrEqual(3);
    const off = await request(`${r.adminUrl}/faults/off`, { method: 'POST', headers: AUTH });
    await off.body.text();
    expect(await Promise.all(done)).toEqual(Array(8).fill(200));
  }, 60_000);
});
