// The shared DiffStore suite: every backend (SQLite in-process and in its worker, PostgreSQL) must pass it unchanged.
import { afterEach, describe, expect, it } from 'vitest';
import { buildReport } from '../../../src/compare/report.js';
import type { DiffKind } from '../../../src/compare/types.js';
import { emptyProfileRow } from '../../../src/storage/profile-rows.js';
import type { DiffBatch, DiffExample, DiffScope, DiffStore, DiffStoreLimits } from '../../../src/storage/types.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 10); // an hour start
const scope = (over: Partial<DiffScope> = {}): DiffScope => ({ hour: T0, route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', ...over });

/** A batch with every part empty unless given. */
export function batch(parts: Partial<DiffBatch> = {}): DiffBatch {
  return { pairs: [], fields: [], noise: [], statuses: [], latency: [], examples: [], skips: [], ...parts };
}

/** An example of `field` differing as `kind`, at `at`. */
export function example(at: number, over: Partial<DiffExample> = {}): DiffExample {
  return {
    ...scope({ hour: Math.floor(at / H) * H }),
    field: 'body:$.total',
    kind: 'value',
    at,
    requestId: `req-${at}`,
    traceId: undefined,
    method: 'GET',
    path: '/cart',
    primaryStatus: 200,
    candidateStatus: 200,
    primaryBody: '{"total":10}',
    candidateBody: '{"total":11}',
    paths: ['body:$.total'],
    primaryLatencyMs: 12.5,
    candidateLatencyMs: 14,
    ...over,
  };
}

const field = (name: string, kind: DiffKind, compared: number, differed: number, over: Partial<DiffScope> = {}) => ({
  ...scope(over),
  field: name,
  kind,
  compared,
  differed,
});

/**
 * Registers the DiffStore contract for one implementation. `open` must return a new, empty store
 * honouring `limits` on every call.
 */
export function runStoreContract(name: string, open: (limits?: DiffStoreLimits) => DiffStore | Promise<DiffStore>): void {
  describe(`DiffStore contract: ${name}`, () => {
    const opened: DiffStore[] = [];
    const fresh = async (limits?: DiffStoreLimits) => {
      const s = await open(limits);
      opened.push(s);
      return s;
    };
    afterEach(async () => {
      for (const s of opened.splice(0)) await s.close();
    });

    it('reads back nothing from an empty store, and accepts an empty batch', async () => {
      const s = await fresh();
      await s.write(batch());
      expect(await s.rows({})).toEqual({ pairs: [], fields: [], noise: [], statuses: [], latency: [], deltas: [], skips: [] });
      expect(await s.examples({})).toEqual([]);
    });

    it('adds counts of the same key across writes and sums hours in rows()', async () => {
      const s = await fresh();
      await s.write(batch({ pairs: [{ ...scope(), count: 3 }], fields: [field('status', 'status', 3, 1)] }));
      await s.write(batch({ pairs: [{ ...scope(), count: 2 }], fields: [field('status', 'status', 2, 2)] }));
      await s.write(
        batch({ pairs: [{ ...scope({ hour: T0 + H }), count: 5 }], fields: [field('status', 'status', 5, 0, { hour: T0 + H })] }),
      );
      const r = await s.rows({});
      expect(r.pairs).toEqual([{ route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', count: 10 }]);
      expect(r.fields).toEqual([
        { route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', field: 'status', kind: 'status', compared: 10, differed: 3, deltaMs: 0 },
      ]);
    });

    it('merges paired-delta histograms per field, shadow pairs and noise pairs apart, across writes and hours', async () => {
      const s = await fresh();
      const field = 'trace:slower:db SELECT orders';
      const d = (hist: number[], noise = false, over: Partial<DiffScope> = {}) => ({ ...scope(over), field, noise, hist });
      await s.write(batch({ deltas: [d([1, 0, 2]), d([0, 4, 0], true, { shadow: '*' })] }));
      // Two rows of one key in one batch, and another hour: all add up.
      await s.write(batch({ deltas: [d([0, 1, 0]), d([1, 0, 0]), d([0, 0, 5], false, { hour: T0 + H })] }));
      const r = await s.rows({});
      const byNoise = (noise: boolean) => r.deltas!.filter((x) => x.noise === noise);
      expect(byNoise(false)).toEqual([{ route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', field, noise: false, hist: [2, 1, 7] }]);
      expect(byNoise(true)).toEqual([{ route: 'checkout', shadow: '*', endpoint: 'GET /cart', field, noise: true, hist: [0, 4, 0] }]);
      expect((await s.rows({ until: T0 })).deltas!.find((x) => !x.noise)!.hist).toEqual([2, 1, 2]);
      // Route-wide noise matches every shadow filter, like the counts.
      expect((await s.rows({ shadow: 'v2' })).deltas).toHaveLength(2);
      expect((await s.rows({ shadow: 'v3' })).deltas).toEqual([byNoise(true)[0]]);
    });

    it('adds arm-profile rows per arm and operation across writes, minutes and duplicate keys; since and prune by minute', async () => {
      const s = await fresh();
      const row = (minute: number, arm: string, op: string, calls: number, latency: number[] = []) => ({
        ...emptyProfileRow(minute, 'checkout', arm, op),
        requests: op === '' ? calls : 0,
        calls: op === '' ? 0 : calls,
        sumSq: calls * calls,
        totalMs: calls * 2,
        latency,
      });
      const M = 60_000;
      // Two writers (replicas) of one minute, a duplicate key within a batch, another minute, another route.
      await s.write(
        batch({ profiles: [row(T0, 'v2', '', 3), row(T0, 'v2', 'db SELECT', 2, [1, 0]), row(T0, 'v2', 'db SELECT', 1, [0, 1])] }),
      );
      await s.write(
        batch({ profiles: [row(T0, 'v2', '', 4), row(T0 + M, 'v2', 'db SELECT', 5, [2, 2]), { ...row(T0, 'v2', '', 9), route: 'other' }] }),
      );
      const all = await s.profiles!('checkout', 0);
      const by = (op: string) => all.find((r) => r.op === op)!;
      expect(all).toHaveLength(2);
      expect(by('')).toMatchObject({ route: 'checkout', arm: 'v2', requests: 7, calls: 0 });
      expect(by('db SELECT')).toMatchObject({ calls: 8, sumSq: 4 + 1 + 25, totalMs: 16, latency: [3, 3] });
      expect((await s.profiles!('checkout', T0 + M)).map((r) => r.op)).toEqual(['db SELECT']);
      expect(await s.prune(T0 + M)).toBe(3);
      expect((await s.profiles!('checkout', 0)).map((r) => r.calls)).toEqual([5]);
      expect(await s.profiles!('other', 0)).toEqual([]);
    });

    it('sums paired latency deltas of a field across writes and hours', async () => {
      const s = await fresh();
      const op = 'trace:slower:db SELECT orders';
      await s.write(
        batch({
          fields: [
            { ...field(op, 'value', 3, 3), deltaMs: 120.5 },
            { ...field(op, 'same', 1, 0), deltaMs: -2 },
          ],
        }),
      );
      await s.write(batch({ fields: [{ ...field(op, 'value', 2, 2, { hour: T0 + H }), deltaMs: 80 }] }));
      const r = await s.rows({});
      expect(r.fields.map((f) => [f.kind, f.compared, f.deltaMs]).sort()).toEqual([
        ['same', 1, -2],
        ['value', 5, 200.5],
      ]);
    });

    it('keeps kinds of one field apart, and statuses and skips by their detail', async () => {
      const s = await fresh();
      await s.write(
        batch({
          fields: [field('body:$.id', 'value', 8, 1), field('body:$.id', 'type', 2, 2)],
          statuses: [
            { ...scope(), primary: 200, candidate: 500, count: 2 },
            { ...scope(), primary: 200, candidate: 200, count: 7 },
          ],
          skips: [{ hour: T0, route: 'checkout', shadow: 'v2', reason: 'body-too-large', count: 4 }],
        }),
      );
      await s.write(
        batch({
          statuses: [{ ...scope({ hour: T0 + H }), primary: 200, candidate: 500, count: 1 }],
          skips: [{ hour: T0 + H, route: 'checkout', shadow: 'v2', reason: 'body-too-large', count: 1 }],
        }),
      );
      const r = await s.rows({});
      expect(r.fields.map((f) => [f.kind, f.compared, f.differed]).sort()).toEqual([
        ['type', 2, 2],
        ['value', 8, 1],
      ]);
      expect(r.statuses.map((x) => [x.primary, x.candidate, x.count]).sort()).toEqual([
        [200, 200, 7],
        [200, 500, 3],
      ]);
      expect(r.skips).toEqual([{ route: 'checkout', shadow: 'v2', reason: 'body-too-large', count: 5 }]);
    });

    it('filters by inclusive hour range, route, shadow and endpoint', async () => {
      const s = await fresh();
      await s.write(
        batch({
          pairs: [
            { ...scope(), count: 1 },
            { ...scope({ hour: T0 + H }), count: 10 },
            { ...scope({ hour: T0 + 2 * H }), count: 100 },
            { ...scope({ route: 'search' }), count: 1000 },
            { ...scope({ shadow: 'v3' }), count: 10_000 },
            { ...scope({ endpoint: 'POST /cart' }), count: 100_000 },
          ],
        }),
      );
      const total = async (f: Parameters<DiffStore['rows']>[0]) => (await s.rows(f)).pairs.reduce((n, p) => n + p.count, 0);
      expect(await total({})).toBe(111_111);
      expect(await total({ since: T0 + H, until: T0 + H })).toBe(10);
      expect(await total({ since: T0 + H })).toBe(110);
      expect(await total({ until: T0 })).toBe(111_001);
      expect(await total({ route: 'search' })).toBe(1000);
      expect(await total({ shadow: 'v3' })).toBe(10_000);
      expect(await total({ endpoint: 'POST /cart' })).toBe(100_000);
      expect(await total({ route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', since: T0, until: T0 + H })).toBe(11);
      expect(await total({ route: 'nope' })).toBe(0);
    });

    it("stores route-wide noise under shadow '*' and returns it under any shadow filter", async () => {
      const s = await fresh();
      await s.write(
        batch({
          noise: [
            { ...scope({ shadow: '*' }), field: 'header:date', compared: 10, differed: 10 },
            { ...scope(), field: 'body:$.ts', compared: 4, differed: 1 },
            { ...scope({ shadow: 'v3' }), field: 'body:$.ts', compared: 6, differed: 6 },
          ],
        }),
      );
      await s.write(batch({ noise: [{ ...scope({ shadow: '*', hour: T0 + H }), field: 'header:date', compared: 5, differed: 5 }] }));
      const v2 = (await s.rows({ shadow: 'v2' })).noise;
      expect(v2).toHaveLength(2);
      expect(v2).toContainEqual({
        route: 'checkout',
        shadow: '*',
        endpoint: 'GET /cart',
        field: 'header:date',
        compared: 15,
        differed: 15,
      });
      expect(v2).toContainEqual({ route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', field: 'body:$.ts', compared: 4, differed: 1 });
      expect((await s.rows({})).noise).toHaveLength(3);
      expect((await s.rows({ shadow: '*' })).noise.map((n) => n.shadow)).toEqual(['*']);
    });

    it('merges latency histograms element-wise across writes and hours', async () => {
      const s = await fresh();
      const lat = (hour: number, p: number[], c: number[], d: number[]) => ({ ...scope({ hour }), primary: p, candidate: c, delta: d });
      await s.write(batch({ latency: [lat(T0, [1, 0, 2], [0, 1, 0], [1, 1, 1, 0])] }));
      await s.write(batch({ latency: [lat(T0, [0, 3, 0], [4, 0, 0], [0, 0, 0, 2])] }));
      await s.write(
        batch({ latency: [lat(T0 + H, [10, 0, 0], [0, 0, 10], [5, 0, 0, 0]), lat(T0 + H, [1, 1, 1], [1, 1, 1], [1, 1, 1, 1])] }),
      );
      expect((await s.rows({})).latency).toEqual([
        { route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', primary: [12, 4, 3], candidate: [5, 2, 11], delta: [7, 2, 2, 3] },
      ]);
      expect((await s.rows({ until: T0 })).latency[0]!.primary).toEqual([1, 3, 2]);
    });

    it('applies a batch all-or-nothing', async () => {
      const s = await fresh();
      const bad = { hour: T0, route: null as unknown as string, shadow: 'v2', reason: 'x', count: 1 };
      await expect(s.write(batch({ pairs: [{ ...scope(), count: 1 }], examples: [example(T0)], skips: [bad] }))).rejects.toThrow();
      expect((await s.rows({})).pairs).toEqual([]);
      expect(await s.examples({})).toEqual([]);
    });

    it('round-trips examples, newest first, filtered by field and limited', async () => {
      const s = await fresh();
      const traced = example(T0 + 5, { field: 'body:$.id', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', paths: ['body:$.id', 'status'] });
      await s.write(batch({ examples: [example(T0 + 1), traced, example(T0 + 3)] }));
      const all = await s.examples({});
      expect(all.map((e) => e.at)).toEqual([T0 + 5, T0 + 3, T0 + 1]);
      expect(all[0]).toEqual(traced);
      expect(all[1]!.traceId).toBeUndefined();
      expect((await s.examples({ field: 'body:$.total' })).map((e) => e.at)).toEqual([T0 + 3, T0 + 1]);
      expect((await s.examples({ limit: 1 })).map((e) => e.at)).toEqual([T0 + 5]);
      expect((await s.examples({ since: T0 + 2, until: T0 + 4 })).map((e) => e.at)).toEqual([T0 + 3]);
      expect(await s.examples({ endpoint: 'POST /cart' })).toEqual([]);
    });

    it('keeps the first N examples per signature, within and across batches', async () => {
      const s = await fresh({ maxExamplesPerSignature: 2 });
      await s.write(batch({ examples: [example(T0 + 1), example(T0 + 2), example(T0 + 3), example(T0 + 4, { kind: 'type' })] }));
      await s.write(batch({ examples: [example(T0 + 5), example(T0 + 6, { shadow: 'v3' })] }));
      const value = (await s.examples({ shadow: 'v2' })).filter((e) => e.kind === 'value');
      expect(value.map((e) => e.at)).toEqual([T0 + 2, T0 + 1]);
      expect((await s.examples({})).map((e) => e.at)).toEqual([T0 + 6, T0 + 4, T0 + 2, T0 + 1]);
    });

    it('prunes rows and examples older than the cutoff and reports how many went', async () => {
      const s = await fresh();
      const hours = [T0, T0 + H, T0 + 2 * H];
      await s.write(
        batch({
          pairs: hours.map((hour) => ({ ...scope({ hour }), count: 1 })),
          noise: hours.map((hour) => ({ ...scope({ hour, shadow: '*' }), field: 'header:date', compared: 1, differed: 1 })),
          latency: hours.map((hour) => ({ ...scope({ hour }), primary: [1], candidate: [1], delta: [1] })),
          deltas: hours.map((hour) => ({ ...scope({ hour }), field: 'trace:slower:db', noise: false, hist: [1] })),
          examples: hours.map((hour, i) => example(hour + 1, { field: `f${i}` })),
        }),
      );
      expect(await s.prune(T0 + H)).toBe(5); // one pairs, one noise, one latency, one delta row, one example
      expect((await s.rows({})).pairs.map((p) => p.count)).toEqual([2]);
      expect((await s.examples({})).map((e) => e.field)).toEqual(['f2', 'f1']);
      expect(await s.prune(T0 + H)).toBe(0);
      expect(await s.prune(T0 + 10 * H)).toBe(10);
      expect((await s.rows({})).pairs).toEqual([]);
    });

    it('trims examples to the global cap, oldest first', async () => {
      const s = await fresh({ maxExamples: 3 });
      await s.write(batch({ examples: [5, 1, 4, 2, 3].map((i) => example(T0 + i, { field: `f${i}` })) }));
      expect(await s.prune(0)).toBe(2);
      expect((await s.examples({})).map((e) => e.at)).toEqual([T0 + 5, T0 + 4, T0 + 3]);
    });

    it('builds bounded report pages equal to buildReport over its own rows', async () => {
      const s = await fresh();
      const endpoints = ['GET /a', 'GET /b', 'GET /c', 'GET /d', 'GET /e'];
      await s.write(
        batch({
          pairs: endpoints.map((endpoint, i) => ({ ...scope({ endpoint }), count: 10 + i })),
          fields: endpoints.flatMap((endpoint, i) => [
            field('body:$.x', 'value', 10 + i, i + 1, { endpoint }),
            field('body:$.y', 'value', 10 + i, 1, { endpoint }),
          ]),
        }),
      );
      const page = { offset: 2, limit: 2, fields: 1 };
      const got = await s.report({ filter: {}, page });
      const want = buildReport(await s.rows({}), {}, {}, page);
      expect({ ...got, generatedAt: 'x' }).toEqual({ ...want, generatedAt: 'x' });
      expect(got.endpoints).toHaveLength(2);
      expect(got.endpoints.every((e) => e.fields.length === 1 && e.fieldsTotal === 2)).toBe(true);
      expect(got.page).toEqual({ offset: 2, limit: 2, fields: 1, total: 5, next: 4 });
      expect(got.totals.endpoints).toBe(5);
      expect((await s.report({ filter: {}, page: { offset: 4, limit: 2 } })).page.next).toBeNull();
    });
  });
}
