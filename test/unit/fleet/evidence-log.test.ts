// The evidence watermark on a real PostgreSQL: a replica whose flush stalls past the liveness window
// still holds the decider back for the whole `fleet.grace` (its late seconds are summed), and no longer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { evidenceWatermark } from '../../../src/fleet/evidence-log.js';
import { replicaIdentity } from '../../../src/fleet/identity.js';
import { beat } from '../../../src/fleet/replicas.js';
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

const heartbeat = (id: string, through: number) =>
  db.tx((q) =>
    beat(db, q, replicaIdentity({ FIELDLAB_REPLICA_ID: id }), {
      version: 't',
      configDigest: 'd',
      applied: {},
      leads: [],
      evidenceThrough: through,
    }),
  );
/** Makes replica `id`'s last beat `ms` old, as if its flushes had stalled since. */
const age = (id: string, ms: number) =>
  pgs.query(`UPDATE "${pgs.schema}".fleet_replicas SET last_seen = now() - $2 * interval '1 millisecond' WHERE replica = $1`, [id, ms]);

describe('evidence watermark', () => {
  it('waits for a replica stalled past the liveness window until the grace runs out, then goes on without it', async () => {
    const now = Math.floor(Date.now() / 1000);
    await heartbeat('fresh', now);
    await heartbeat('stalled', now - 5);
    // Its last beat is 5 s old: not live (3 s), but inside a 10 s grace, so its seconds still count.
    await age('stalled', 5000);
    expect(await evidenceWatermark(db, now, 10, 3000)).toBe(now - 5);
    // With a 3 s grace (the default) the same replica is past it: the watermark is the grace.
    expect(await evidenceWatermark(db, now, 3, 3000)).toBe(now);
    // Gone for longer than the grace: it holds nothing back.
    await age('stalled', 12_000);
    expect(await evidenceWatermark(db, now, 10, 3000)).toBe(now);
    // A replica that has not flushed for longer than the grace but still beats is bounded by the grace.
    await heartbeat('stalled', now - 30);
    expect(await evidenceWatermark(db, now, 10, 3000)).toBe(now - 10);
  });
});
