/**
 * The RecordStore contract, run against every backend (SQLite in this thread and in its worker,
 * PostgreSQL): samples come back as written, in id order, filtered by time, arm, method and unit
 * buckets; caps per route and in total refuse what does not fit (by count and by bytes) and say
 * which cap; pruning is by age, per route or everywhere.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { RecordCaps, RecordedSample, RecordStore } from '../../../src/storage/record-types.js';

/** The store and what closes it. */
export interface OpenedRecordStore {
  readonly store: RecordStore;
  close(): Promise<void>;
}

const T0 = 1_700_000_000_000;
const big = { maxSamples: 1000, maxBytes: 1e9 };
const caps = (routes: RecordCaps['routes'], total = big): RecordCaps => ({ routes, total });

/** A sample of `route` at `T0 + dt` (bytes 100 unless given). */
export function sample(route: string, dt: number, over: Partial<RecordedSample> = {}): RecordedSample {
  return {
    route,
    at: T0 + dt,
    requestId: `req-${route}-${dt}`,
    unit: 'u1hash',
    bucket: 42,
    arm: 'control',
    method: 'GET',
    target: `/items/${dt}?q=1`,
    requestHeaders: [
      ['accept', 'application/json'],
      ['x-multi', 'a'],
      ['x-multi', 'b'],
    ],
    requestBody: null,
    status: 200,
    responseHeaders: [['content-type', 'application/json']],
    responseBody: Buffer.from(`{"n":${dt}}`).toString('base64'),
    truncated: false,
    latencyMs: 1.5,
    bytes: 100,
    ...over,
  };
}

/**
 * Registers the contract for one backend; `open` returns a new, empty store on every call.
 * @example runRecordContract('sqlite', async () => { const s = openSqliteStores(':memory:'); return { store: s.records, close: s.close } })
 */
export function runRecordContract(name: string, open: () => Promise<OpenedRecordStore>): void {
  describe(`RecordStore contract: ${name}`, () => {
    const opened: OpenedRecordStore[] = [];
    const fresh = async () => {
      const o = await open();
      opened.push(o);
      return o.store;
    };
    afterEach(async () => {
      for (const o of opened.splice(0)) await o.close();
    });

    it('starts empty', async () => {
      const s = await fresh();
      expect(await s.readRecords({ route: 'r' })).toEqual([]);
      expect(await s.countRecords({ route: 'r' })).toBe(0);
      expect(await s.recordUsage()).toEqual([]);
    });

    it('returns samples as written, in id order, with increasing ids', async () => {
      const s = await fresh();
      const post = sample('r', 2, { method: 'POST', requestBody: Buffer.from('{"a":1}').toString('base64'), truncated: true, status: 201 });
      expect(await s.writeRecords([sample('r', 1), post], caps({ r: big }))).toEqual(['stored', 'stored']);
      expect(await s.writeRecords([sample('r', 3)], caps({ r: big }))).toEqual(['stored']);
      const got = await s.readRecords({ route: 'r' });
      expect(got.map((g) => g.requestId)).toEqual(['req-r-1', 'req-r-2', 'req-r-3']);
      expect(got[0]!.id).toBeLessThan(got[1]!.id);
      expect(got[1]!.id).toBeLessThan(got[2]!.id);
      const { id: _id, ...rest } = got[1]!;
      expect(rest).toEqual(post);
      // Resume: strictly after an id.
      expect((await s.readRecords({ route: 'r', afterId: got[0]!.id })).map((g) => g.requestId)).toEqual(['req-r-2', 'req-r-3']);
      expect(await s.readRecords({ route: 'r', limit: 2 })).toHaveLength(2);
    });

    it('filters by route, time, arm, method and unit buckets; counts the same way', async () => {
      const s = await fresh();
      await s.writeRecords(
        [
          sample('r', 1, { arm: 'variant', bucket: 10 }),
          sample('r', 2, { method: 'POST', bucket: 500 }),
          sample('r', 3, { bucket: 9999 }),
          sample('other', 4),
        ],
        caps({ r: big, other: big }),
      );
      const ids = async (q: Parameters<RecordStore['readRecords']>[0]) => (await s.readRecords(q)).map((g) => g.requestId);
      expect(await ids({ route: 'r', since: T0 + 2 })).toEqual(['req-r-2', 'req-r-3']);
      expect(await ids({ route: 'r', arm: 'variant' })).toEqual(['req-r-1']);
      expect(await ids({ route: 'r', method: 'POST' })).toEqual(['req-r-2']);
      expect(await ids({ route: 'r', buckets: [0, 500] })).toEqual(['req-r-1']);
      expect(await ids({ route: 'r', buckets: [500, 10000] })).toEqual(['req-r-2', 'req-r-3']);
      expect(await s.countRecords({ route: 'r', buckets: [500, 10000] })).toBe(2);
      expect(await s.countRecords({ route: 'other' })).toBe(1);
      expect(await s.recordUsage()).toEqual([
        { route: 'other', samples: 1, bytes: 100 },
        { route: 'r', samples: 3, bytes: 300 },
      ]);
    });

    it('refuses what breaks a cap, naming the cap, and stores what still fits', async () => {
      const s = await fresh();
      const r = { maxSamples: 3, maxBytes: 250 };
      // 100 + 100 fit; the third would make 300 bytes > 250; a small one still fits (2 + 1 = 3 samples).
      expect(await s.writeRecords([sample('r', 1), sample('r', 2), sample('r', 3), sample('r', 4, { bytes: 50 })], caps({ r }))).toEqual([
        'stored',
        'stored',
        'route_bytes',
        'stored',
      ]);
      // Full by count now, across batches.
      expect(await s.writeRecords([sample('r', 5, { bytes: 1 })], caps({ r }))).toEqual(['route_samples']);
      // The total caps count every route.
      expect(await s.writeRecords([sample('o', 6)], caps({ r, o: big }, { maxSamples: 3, maxBytes: 1e9 }))).toEqual(['total_samples']);
      expect(await s.writeRecords([sample('o', 7)], caps({ r, o: big }, { maxSamples: 100, maxBytes: 300 }))).toEqual(['total_bytes']);
      // A route without caps is not recording (e.g. its `record:` was removed by a reload).
      expect(await s.writeRecords([sample('gone', 8)], caps({ r }))).toEqual(['not_recording']);
      expect(await s.countRecords({ route: 'r' })).toBe(3);
      expect(await s.countRecords({ route: 'o' })).toBe(0);
    });

    it('prunes by age, for one route or all', async () => {
      const s = await fresh();
      await s.writeRecords([sample('r', 1), sample('r', 10), sample('o', 1), sample('o', 10)], caps({ r: big, o: big }));
      expect(await s.pruneRecords(T0 + 5, 'r')).toBe(1);
      expect(await s.countRecords({ route: 'o' })).toBe(2);
      expect(await s.pruneRecords(T0 + 5)).toBe(1);
      expect(await s.recordUsage()).toEqual([
        { route: 'o', samples: 1, bytes: 100 },
        { route: 'r', samples: 1, bytes: 100 },
      ]);
    });
  });
}
