// The shared DiffStore suite: every implementation (SQLite now, PostgreSQL later) must pass it unchanged.
import { afterEach, describe, expect, it } from 'vitest';
import type { DiffKind } from '../../../src/compare/types.js';
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
export function runStoreContract(name: string, open: (limits?: DiffStoreLimits) => DiffStore): void {
  describe(`DiffStore contract: ${name}`, () => {
    const opened: DiffStore[] = [];
    const fresh = (limits?: DiffStoreLimits) => {
      const s = open(limits);
      opened.push(s);
      return s;
    };
    afterEach(() => {
      for (const s of opened.splice(0)) s.close();
    });

    it('reads back nothing from an empty store, and accepts an empty batch', () => {
      const s = fresh();
      s.write(batch());
      expect(s.rows({})).toEqual({ pairs: [], fields: [], noise: [], statuses: [], latency: [], skips: [] });
      expect(s.examples({})).toEqual([]);
    });

    it('adds counts of the same key across writes and sums hours in rows()', () => {
      const s = fresh();
      s.write(batch({ pairs: [{ ...scope(), count: 3 }], fields: [field('status', 'status', 3, 1)] }));
      s.write(batch({ pairs: [{ ...scope(), count: 2 }], fields: [field('status', 'status', 2, 2)] }));
      s.write(batch({ pairs: [{ ...scope({ hour: T0 + H }), count: 5 }], fields: [field('status', 'status', 5, 0, { hour: T0 + H })] }));
      const r = s.rows({});
      expect(r.pairs).toEqual([{ route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', count: 10 }]);
      expect(r.fields).toEqual([
        { route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', field: 'status', kind: 'status', compared: 10, differed: 3 },
      ]);
    });

    it('keeps kinds of one field apart, and statuses and skips by their detail', () => {
      const s = fresh();
      s.write(
        batch({
          fields: [field('body:$.id', 'value', 8, 1), field('body:$.id', 'type', 2, 2)],
          statuses: [
            { ...scope(), primary: 200, candidate: 500, count: 2 },
            { ...scope(), primary: 200, candidate: 200, count: 7 },
          ],
          skips: [{ hour: T0, route: 'checkout', shadow: 'v2', reason: 'body-too-large', count: 4 }],
        }),
      );
      s.write(
        batch({
          statuses: [{ ...scope({ hour: T0 + H }), primary: 200, candidate: 500, count: 1 }],
          skips: [{ hour: T0 + H, route: 'checkout', shadow: 'v2', reason: 'body-too-large', count: 1 }],
        }),
      );
      const r = s.rows({});
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

    it('filters by inclusive hour range, route, shadow and endpoint', () => {
      const s = fresh();
      s.write(
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
      const total = (f: Parameters<DiffStore['rows']>[0]) => s.rows(f).pairs.reduce((n, p) => n + p.count, 0);
      expect(total({})).toBe(111_111);
      expect(total({ since: T0 + H, until: T0 + H })).toBe(10);
      expect(total({ since: T0 + H })).toBe(110);
      expect(total({ until: T0 })).toBe(111_001);
      expect(total({ route: 'search' })).toBe(1000);
      expect(total({ shadow: 'v3' })).toBe(10_000);
      expect(total({ endpoint: 'POST /cart' })).toBe(100_000);
      expect(total({ route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', since: T0, until: T0 + H })).toBe(11);
      expect(total({ route: 'nope' })).toBe(0);
    });

    it("stores route-wide noise under shadow '*' and returns it under any shadow filter", () => {
      const s = fresh();
      s.write(
        batch({
          noise: [
            { ...scope({ shadow: '*' }), field: 'header:date', compared: 10, differed: 10 },
            { ...scope(), field: 'body:$.ts', compared: 4, differed: 1 },
            { ...scope({ shadow: 'v3' }), field: 'body:$.ts', compared: 6, differed: 6 },
          ],
        }),
      );
      s.write(batch({ noise: [{ ...scope({ shadow: '*', hour: T0 + H }), field: 'header:date', compared: 5, differed: 5 }] }));
      const v2 = s.rows({ shadow: 'v2' }).noise;
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
      expect(s.rows({}).noise).toHaveLength(3);
      expect(s.rows({ shadow: '*' }).noise.map((n) => n.shadow)).toEqual(['*']);
    });

    it('merges latency histograms element-wise across writes and hours', () => {
      const s = fresh();
      const lat = (hour: number, p: number[], c: number[], d: number[]) => ({ ...scope({ hour }), primary: p, candidate: c, delta: d });
      s.write(batch({ latency: [lat(T0, [1, 0, 2], [0, 1, 0], [1, 1, 1, 0])] }));
      s.write(batch({ latency: [lat(T0, [0, 3, 0], [4, 0, 0], [0, 0, 0, 2])] }));
      s.write(batch({ latency: [lat(T0 + H, [10, 0, 0], [0, 0, 10], [5, 0, 0, 0]), lat(T0 + H, [1, 1, 1], [1, 1, 1], [1, 1, 1, 1])] }));
      expect(s.rows({}).latency).toEqual([
        { route: 'checkout', shadow: 'v2', endpoint: 'GET /cart', primary: [12, 4, 3], candidate: [5, 2, 11], delta: [7, 2, 2, 3] },
      ]);
      expect(s.rows({ until: T0 }).latency[0]!.primary).toEqual([1, 3, 2]);
    });

    it('applies a batch all-or-nothing', () => {
      const s = fresh();
      const bad = { hour: T0, route: null as unknown as string, shadow: 'v2', reason: 'x', count: 1 };
      expect(() => s.write(batch({ pairs: [{ ...scope(), count: 1 }], examples: [example(T0)], skips: [bad] }))).toThrow();
      expect(s.rows({}).pairs).toEqual([]);
      expect(s.examples({})).toEqual([]);
    });

    it('round-trips examples, newest first, filtered by field and limited', () => {
      const s = fresh();
      const traced = example(T0 + 5, { field: 'body:$.id', traceId: '4bf92f3577b34da6a3ce929d0e0e4736', paths: ['body:$.id', 'status'] });
      s.write(batch({ examples: [example(T0 + 1), traced, example(T0 + 3)] }));
      const all = s.examples({});
      expect(all.map((e) => e.at)).toEqual([T0 + 5, T0 + 3, T0 + 1]);
      expect(all[0]).toEqual(traced);
      expect(all[1]!.traceId).toBeUndefined();
      expect(s.examples({ field: 'body:$.total' }).map((e) => e.at)).toEqual([T0 + 3, T0 + 1]);
      expect(s.examples({ limit: 1 }).map((e) => e.at)).toEqual([T0 + 5]);
      expect(s.examples({ since: T0 + 2, until: T0 + 4 }).map((e) => e.at)).toEqual([T0 + 3]);
      expect(s.examples({ endpoint: 'POST /cart' })).toEqual([]);
    });

    it('keeps the first N examples per signature, within and across batches', () => {
      const s = fresh({ maxExamplesPerSignature: 2 });
      s.write(batch({ examples: [example(T0 + 1), example(T0 + 2), example(T0 + 3), example(T0 + 4, { kind: 'type' })] }));
      s.write(batch({ examples: [example(T0 + 5), example(T0 + 6, { shadow: 'v3' })] }));
      const value = s.examples({ shadow: 'v2' }).filter((e) => e.kind === 'value');
      expect(value.map((e) => e.at)).toEqual([T0 + 2, T0 + 1]);
      expect(s.examples({}).map((e) => e.at)).toEqual([T0 + 6, T0 + 4, T0 + 2, T0 + 1]);
    });

    it('prunes rows and examples older than the cutoff and reports how many went', () => {
      const s = fresh();
      const hours = [T0, T0 + H, T0 + 2 * H];
      s.write(
        batch({
          pairs: hours.map((hour) => ({ ...scope({ hour }), count: 1 })),
          noise: hours.map((hour) => ({ ...scope({ hour, shadow: '*' }), field: 'header:date', compared: 1, differed: 1 })),
          latency: hours.map((hour) => ({ ...scope({ hour }), primary: [1], candidate: [1], delta: [1] })),
          examples: hours.map((hour, i) => example(hour + 1, { field: `f${i}` })),
        }),
      );
      expect(s.prune(T0 + H)).toBe(4); // one pairs, one noise, one latency row, one example
      expect(s.rows({}).pairs.map((p) => p.count)).toEqual([2]);
      expect(s.examples({}).map((e) => e.field)).toEqual(['f2', 'f1']);
      expect(s.prune(T0 + H)).toBe(0);
      expect(s.prune(T0 + 10 * H)).toBe(8);
      expect(s.rows({}).pairs).toEqual([]);
    });

    it('trims examples to the global cap, oldest first', () => {
      const s = fresh({ maxExamples: 3 });
      s.write(batch({ examples: [5, 1, 4, 2, 3].map((i) => example(T0 + i, { field: `f${i}` })) }));
      expect(s.prune(0)).toBe(2);
      expect(s.examples({}).map((e) => e.at)).toEqual([T0 + 5, T0 + 4, T0 + 3]);
    });
  });
}
