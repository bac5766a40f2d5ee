// Faults across a fleet of two real replicas on the real PostgreSQL: `faults off` on one replica
// stops faults on the other within a second (NOTIFY), a held delay and a throttled body there are
// released, a switch written to the row alone (a lost NOTIFY) still arrives by the poll, and
// maxActive is one cap for the whole fleet, each replica holding its share.
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSchema, type TestSchema } from '../../helpers/pg.js';
import { type Replica, type ReplicaPorts, eventually, startReplica } from '../../helpers/replicas.js';
import { startUpstream, tempDir, type TestUpstream } from '../../helpers/servers.js';

interface FaultsBody {
  enabled: boolean;
  active: Record<string, number>;
  share?: Record<string, number>;
  fleet?: boolean;
}

const yaml =
  (store: string, up: string, big: string) =>
  ({ listen, admin }: ReplicaPorts) =>
    `listen: 127.0.0.1:${listen}
admin: { listen: 127.0.0.1:${admin} }
store: ${store}
log: { level: warn, access: false }
drainTimeout: 1s
upstreams: { up: ${up}, big: ${big} }
routes:
  - name: held
    match: { path: /held/* }
    arms: { control: up }
    sticky: [header:x-user-id]
    fault: { delay: { percent: 100, fixed: 30s }, maxActive: 3 }
  - name: slow
    match: { path: /slow/* }
    arms: { control: big }
    sticky: [header:x-user-id]
    fault: { response: { throttle: { percent: 100, rate: 1KiB/s } } }
`;

describe('fleet: faults', () => {
  const tmp = tempDir();
  let pgs: TestSchema;
  let up: TestUpstream, big: TestUpstream;
  const replicas: Replica[] = [];
  const faults = async (r: Replica) => (await r.admin<FaultsBody>('/faults')).body;
  const post = async (r: Replica, path: string) => {
    const res = await request(`${r.adminUrl}${path}`, { method: 'POST' });
    await res.body.text();
    expect(res.statusCode).toBe(200);
  };

  beforeAll(async () => {
    pgs = await createTestSchema();
    up = await startUpstream('up', (_q, res) => res.end('ok'));
    big = await startUpstream('big', (_q, res) => res.end(Buffer.alloc(256 * 1024, 0x61)));
    for (const id of ['edge-0', 'edge-1']) replicas.push(await startReplica(id, tmp.dir, yaml(pgs.url, up.url, big.url)));
    // A replica takes its part of maxActive once it has seen itself in the fleet's view (two reads).
    for (const r of replicas) await eventually(async () => (await faults(r)).share?.of === 2, 10_000, `${r.id} to see the fleet`);
  });
  afterAll(async () => {
    await Promise.all(replicas.map((r) => r.stop()));
    await Promise.all([up.close(), big.close()]);
    await pgs?.drop();
    tmp.remove();
  });

  it('faults off on one replica releases a held delay and a throttled body on the other within a second', async () => {
    const [a, b] = replicas as [Replica, Replica];
    const ended = (path: string, user: string) =>
      request(`${b.url}${path}`, { headers: { 'x-user-id': user } }).then(async (r) => {
        const body = await r.body.arrayBuffer();
        return { status: r.statusCode, bytes: body.byteLength, at: performance.now() };
      });
    const held = ended('/held/x', 'u1');
    const slow = ended('/slow/x', 'u2');
    await eventually(
      async () => (await faults(b)).active.held === 1 && (await faults(b)).active.slow === 1,
      10_000,
      'faults in progress on edge-1',
    );
    await post(a, '/faults/off');
    const offAt = performance.now();
    const [h, s] = await Promise.all([held, slow]);
    expect(h.status).toBe(200);
    expect(s.bytes).toBe(256 * 1024);
    // 30 s of delay and ~4 min of throttled body, released on the other replica by the NOTIFY.
    expect(Math.max(h.at, s.at) - offAt).toBeLessThan(1000);
    expect(await faults(b)).toMatchObject({ enabled: false, active: {}, fleet: true });
  }, 60_000);

  it('a switch that only reached the row (a lost NOTIFY) arrives by the poll within a second', async () => {
    await pgs.query(
      `UPDATE "${pgs.schema}".guardrail_state SET state = '{"enabled": true}', updated_at = $1 WHERE route = 'fault:switch'`,
      [Date.now()],
    );
    const t0 = performance.now();
    for (const r of replicas) await eventually(async () => (await faults(r)).enabled, 5_000, `${r.id} to switch on`);
    expect(performance.now() - t0).toBeLessThan(1500);
  }, 30_000);

  it("maxActive is the fleet's: two replicas hold parts 2 and 1 of 3, whatever each is sent", async () => {
    const held = replicas.flatMap((r) =>
      Array.from({ length: 3 }, (_, i) => request(`${r.url}/held/x`, { headers: { 'x-user-id': `${r.id}-${i}` } })),
    );
    // Two of each replica's three go straight through: whichever ranks first holds 2, the other 1.
    await eventually(
      async () => {
        const active = await Promise.all(replicas.map(async (r) => (await faults(r)).active.held ?? 0));
        return active.sort().join(',') === '1,2' && active;
      },
      10_000,
      'the fleet to hold 3',
    );
    await new Promise((r) => setTimeout(r, 300));
    const active = await Promise.all(replicas.map(async (r) => (await faults(r)).active.held ?? 0));
    expect(active.reduce((a, b) => a + b, 0)).toBe(3);
    await post(replicas[0]!, '/faults/off');
    for (const res of await Promise.all(held)) {
      expect(res.statusCode).toBe(200);
      await res.body.text();
    }
  }, 60_000);
});
