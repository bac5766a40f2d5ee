// Arm profiles on a real store: written through the diff batcher, a profile survives a restart
// (SQLite file, new batcher, new profiles), and two replicas on one PostgreSQL schema read the sum.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createDiffBatcher } from '../../../src/storage/batcher.js';
import { emptyProfileRow } from '../../../src/storage/profile-rows.js';
import { createPgDiffStore } from '../../../src/storage/postgres/diffs.js';
import { openSqliteStore } from '../../../src/storage/sqlite.js';
import type { DiffStore } from '../../../src/storage/types.js';
import type { ReceivedSpan } from '../../../src/traces/otlp-decode.js';
import { createArmProfiles } from '../../../src/traces/arm-profiles.js';
import { createSpanBuffer } from '../../../src/traces/span-buffer.js';
import { migratedSchema } from '../../helpers/pg-db.js';

let id = 1;
const hex = (n: number, len: number) => n.toString(16).padStart(len, '0');
const SENT = 'f'.repeat(16);

/** One replica: a real batcher on `store`, profiles reading it back, a fake clock for settling. */
function replica(store: DiffStore) {
  let now = 0;
  const buffer = createSpanBuffer({ maxTraces: 1000, maxSpansPerTrace: 100, holdMs: 60_000, now: () => now });
  const batcher = createDiffBatcher({ store, flushMs: 1e9 });
  const profiles = createArmProfiles({
    buffer,
    waitMs: 5000,
    settleMs: 100,
    now: () => now,
    tickMs: 1e9,
    sink: batcher,
    stored: (route, since) => store.profiles!(route, since),
  });
  /** `n` requests of `arm`, each calling inventory `calls` times, settled. */
  const serve = (arm: string, n: number, calls: number) => {
    for (let i = 0; i < n; i++) {
      const trace = hex(id++, 32);
      profiles.note('shop', arm, trace, SENT);
      const root: ReceivedSpan = {
        traceId: trace,
        spanId: hex(id++, 16),
        parentSpanId: SENT,
        service: 'shop',
        name: 'GET /shop',
        startMs: 0,
        durationMs: 5,
        error: false,
      };
      const kids = Array.from(
        { length: calls },
        (): ReceivedSpan => ({
          ...root,
          spanId: hex(id++, 16),
          parentSpanId: root.spanId,
          service: 'inventory',
          name: 'GET /items',
          durationMs: 2,
        }),
      );
      buffer.add([root, ...kids]);
    }
    now += 200;
    profiles.drain();
  };
  return {
    batcher,
    profiles,
    serve,
    stop: () => {
      profiles.stop();
      return batcher.stop();
    },
  };
}

const inventory = async (p: ReturnType<typeof replica>['profiles']) =>
  (await p.read('shop'))!.operations.find((o) => o.op === 'inventory GET /items')!;

describe('arm profiles on SQLite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'fl-profiles-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('merges unwritten rows with stored ones, and keeps the profile across a restart', async () => {
    const file = join(dir, 'fl.db');
    const store = openSqliteStore(file);
    const a = replica(store);
    a.serve('control', 4, 1);
    a.serve('variant', 4, 2);
    // Nothing written yet: the batcher's pending rows are the profile.
    expect(await store.profiles!('shop', 0)).toEqual([]);
    expect((await a.profiles.read('shop'))!.arms).toEqual({ control: { requests: 4, missing: 0 }, variant: { requests: 4, missing: 0 } });
    await a.batcher.flush();
    a.serve('variant', 2, 2);
    // Stored 8 + pending 2, each counted once.
    expect((await inventory(a.profiles)).arms.variant!.calls).toBe(12);
    await a.stop();
    await store.close();

    const reopened = openSqliteStore(file);
    // A day-old minute is stored but outside the profile's 24-hour window.
    const old = { ...emptyProfileRow(Date.now() - 25 * 3_600_000, 'shop', 'control', ''), requests: 100 };
    await reopened.write({ pairs: [], fields: [], noise: [], statuses: [], latency: [], examples: [], skips: [], profiles: [old] });
    const b = replica(reopened);
    const inv = await inventory(b.profiles);
    expect(inv.arms.control).toMatchObject({ requests: 4, calls: 4, callsPerRequest: { mean: 1, lower: 1, upper: 1 } });
    expect(inv.arms.variant).toMatchObject({ requests: 6, calls: 12, callsPerRequest: { mean: 2, lower: 2, upper: 2 } });
    expect(inv.arms.variant!.latencyMs.mean).toBe(2);
    await b.stop();
    await reopened.close();
  });
});

describe('arm profiles on PostgreSQL', () => {
  it('two replicas on one schema each read the sum of both', async () => {
    const { dbs, drop } = await migratedSchema(2);
    try {
      const [a, b] = dbs.map((db) => replica(createPgDiffStore(db) as DiffStore));
      a!.serve('control', 3, 1);
      b!.serve('control', 5, 1);
      b!.serve('variant', 2, 3);
      await Promise.all([a!.batcher.flush(), b!.batcher.flush()]);
      for (const r of [a!, b!]) {
        const inv = await inventory(r.profiles);
        expect(inv.arms.control).toMatchObject({ requests: 8, calls: 8 });
        expect(inv.arms.variant).toMatchObject({ requests: 2, calls: 6 });
      }
      await Promise.all([a!.stop(), b!.stop()]);
    } finally {
      await drop();
    }
  });
});
