import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDecisionLog } from '../../../src/fleet/decision-log.js';
import { replicaIdentity } from '../../../src/fleet/identity.js';
import { createLeases } from '../../../src/fleet/leases.js';
import type { PgDatabase } from '../../../src/storage/postgres/pool.js';
import type { TestSchema } from '../../helpers/pg.js';
import { migratedSchema } from '../../helpers/pg-db.js';

let env: Awaited<ReturnType<typeof migratedSchema>>;
let db: PgDatabase;
let pgs: TestSchema;
beforeAll(async () => {
  env = await migratedSchema(1);
  [db] = env.dbs as [PgDatabase];
  pgs = env.pgs;
});
afterAll(() => env?.drop());

const a = replicaIdentity({ FIELDLAB_REPLICA_ID: 'a' });
const b = replicaIdentity({ FIELDLAB_REPLICA_ID: 'b' });
const expire = (route: string) =>
  pgs.query(`UPDATE "${pgs.schema}".fleet_leases SET expires_at = now() - interval '1 second' WHERE route = $1`, [route]);
const decision = (route: string, epoch: number) => ({
  route,
  epoch,
  at: Date.now(),
  weights: { v2: 0 },
  decisions: [],
  state: { s: epoch },
  through: 7,
});

describe('decider leases', () => {
  it('gives a route to one holder; renewing keeps the epoch, a takeover after expiry bumps it', async () => {
    const la = createLeases(db, a, 60_000);
    const lb = createLeases(db, b, 60_000);
    expect(await la.acquire('r1')).toBe(1);
    expect(await lb.acquire('r1')).toBeNull();
    expect(await la.acquire('r1')).toBe(1);
    await expire('r1');
    expect(await lb.acquire('r1')).toBe(2);
    expect(await la.acquire('r1')).toBeNull();
    expect((await la.list()).map((l) => [l.route, l.replica, l.epoch])).toEqual([['r1', 'b', 2]]);
  });

  it('a restarted replica with the same name is a new holder', async () => {
    const again = replicaIdentity({ FIELDLAB_REPLICA_ID: 'a' });
    expect(again.instance).not.toBe(a.instance);
    const l1 = createLeases(db, a, 60_000);
    const l2 = createLeases(db, again, 60_000);
    expect(await l1.acquire('r2')).toBe(1);
    expect(await l2.acquire('r2')).toBeNull();
  });

  it('release hands the route over at once', async () => {
    const la = createLeases(db, a, 60_000);
    const lb = createLeases(db, b, 60_000);
    expect(await la.acquire('r3')).toBe(1);
    await la.release('r3');
    expect(await lb.acquire('r3')).toBe(2);
  });
});

describe('fenced decisions', () => {
  it('a deposed leader can write neither a decision nor a checkpoint; the new one can', async () => {
    const la = createLeases(db, a, 60_000);
    const lb = createLeases(db, b, 60_000);
    const loga = createDecisionLog(db, a);
    const logb = createDecisionLog(db, b);
    const ea = (await la.acquire('f1'))!;
    const first = await loga.publish(decision('f1', ea));
    expect(first.ok).toBe(true);
    await expire('f1');
    const eb = (await lb.acquire('f1'))!;
    expect(eb).toBe(ea + 1);
    expect(await loga.publish(decision('f1', ea))).toEqual({ ok: false, reason: 'fenced' });
    expect(await la.saveCheckpoint('f1', ea, { state: 'old', through: 1 })).toBe(false);
    const second = await logb.publish(decision('f1', eb));
    expect(second.ok && first.ok && second.seq > first.seq).toBe(true);
    expect(await lb.checkpoint('f1')).toEqual({ state: { s: eb }, through: 7 });
    const rows = await logb.recent({ route: 'f1' });
    expect(rows.map((r) => [r.replica, r.epoch])).toEqual([
      ['b', eb],
      ['a', ea],
    ]);
  });

  it('the database itself rejects a decision with a stale epoch, whoever inserts it', async () => {
    const la = createLeases(db, a, 60_000);
    const e = (await la.acquire('f2'))!;
    const insert = (epoch: number) =>
      pgs.query(
        `INSERT INTO "${pgs.schema}".fleet_decisions (route, epoch, holder, replica, at, weights, decisions) VALUES ('f2', $1, $2, 'a', 0, '{}', '[]')`,
        [epoch, a.instance],
      );
    await expect(insert(e - 1)).rejects.toThrow(/stale decider epoch/);
    await expect(insert(e)).resolves.toEqual([]);
    await expire('f2');
    await expect(insert(e)).rejects.toThrow(/stale decider epoch/);
  });

  it('lists the newest decision of every route', async () => {
    const log = createDecisionLog(db, a);
    const latest = await log.latest();
    expect(latest.find((d) => d.route === 'f1')?.replica).toBe('b');
    expect(latest.every((d) => typeof d.seq === 'number' && typeof d.createdAt === 'number')).toBe(true);
  });
});
