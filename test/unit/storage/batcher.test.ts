import { afterEach, describe, expect, it, vi } from 'vitest';
import { DELTA_BOUNDS, LATENCY_BOUNDS, count, quantile } from '../../../src/stats/histogram.js';
import { createDiffBatcher, type DiffBatcher, type DiffBatcherOptions } from '../../../src/storage/batcher.js';
import { openSqliteStore } from '../../../src/storage/sqlite.js';
import type { DiffBatch, DiffExample } from '../../../src/storage/types.js';

const H = 3_600_000;
const T0 = Date.UTC(2026, 10, 20, 10);
const cart = { route: 'checkout', shadow: 'v2', endpoint: 'GET /cart' };

function setup(opts: Partial<DiffBatcherOptions> = {}) {
  let clock = T0 + 1234;
  const batches: DiffBatch[] = [];
  const b = createDiffBatcher({ store: { write: async (x) => void batches.push(x) }, now: () => clock, flushMs: 60_000, ...opts });
  running.push(b);
  return { b, batches, setClock: (t: number) => (clock = t) };
}
const running: DiffBatcher[] = [];
afterEach(async () => {
  for (const b of running.splice(0)) await b.stop();
  vi.useRealTimers();
});

function ex(at: number, over: Partial<DiffExample> = {}): Omit<DiffExample, 'hour'> {
  return {
    ...cart,
    field: 'body:$.total',
    kind: 'value',
    at,
    requestId: `r${at}`,
    traceId: undefined,
    method: 'GET',
    path: '/cart',
    primaryStatus: 200,
    candidateStatus: 200,
    primaryBody: '{}',
    candidateBody: '{}',
    paths: [],
    primaryLatencyMs: 1,
    candidateLatencyMs: 2,
    ...over,
  };
}

describe('createDiffBatcher', () => {
  it('aggregates calls into one row per key and writes them in one batch', async () => {
    const { b, batches } = setup();
    for (let i = 0; i < 3; i++) {
      b.pair(cart);
      b.field(cart, 'body:$.total', 'value', i === 0);
      b.noise({ ...cart, shadow: '*' }, 'header:date', true);
      b.status(cart, 200, i === 2 ? 500 : 200);
    }
    b.skip('checkout', 'v2', 'body-too-large');
    b.skip('checkout', 'v2', 'body-too-large');
    await b.flush();
    expect(batches).toHaveLength(1);
    const [w] = batches;
    const at = { hour: T0, ...cart };
    expect(w!.pairs).toEqual([{ ...at, count: 3 }]);
    expect(w!.fields).toEqual([{ ...at, field: 'body:$.total', kind: 'value', compared: 3, differed: 1 }]);
    expect(w!.noise).toEqual([{ ...at, shadow: '*', field: 'header:date', compared: 3, differed: 3 }]);
    expect(w!.statuses).toEqual([
      { ...at, primary: 200, candidate: 200, count: 2 },
      { ...at, primary: 200, candidate: 500, count: 1 },
    ]);
    expect(w!.skips).toEqual([{ hour: T0, route: 'checkout', shadow: 'v2', reason: 'body-too-large', count: 2 }]);
    expect(b.stats()).toMatchObject({ flushes: 1, written: 6, pending: 0 });
  });

  it("sums a field's paired latency deltas in its row, and leaves fields without one alone", async () => {
    const { b, batches } = setup();
    b.field(cart, 'trace:slower:db SELECT orders', 'value', true, 41.5);
    b.field(cart, 'trace:slower:db SELECT orders', 'value', true, 38.5);
    b.field(cart, 'trace:slower:db SELECT orders', 'same', false, -1);
    b.field(cart, 'body:$.total', 'value', true);
    await b.flush();
    const by = Object.fromEntries(batches[0]!.fields.map((f) => [`${f.field} ${f.kind}`, f.deltaMs]));
    expect(by).toEqual({
      'trace:slower:db SELECT orders value': 80,
      'trace:slower:db SELECT orders same': -1,
      'body:$.total value': undefined,
    });
  });

  it('observes latency into the shared histogram layouts, delta signed', async () => {
    const { b, batches } = setup();
    b.latency(cart, 10, 25);
    b.latency(cart, 30, 20);
    await b.flush();
    const row = batches[0]!.latency[0]!;
    expect([row.primary.length, row.delta.length]).toEqual([LATENCY_BOUNDS.length + 1, DELTA_BOUNDS.length + 1]);
    expect([count(row.primary), count(row.candidate), count(row.delta)]).toEqual([2, 2, 2]);
    expect(quantile(row.delta, DELTA_BOUNDS, 0)).toBeLessThan(0); // -10 ms
    expect(quantile(row.delta, DELTA_BOUNDS, 1)).toBeGreaterThan(14); // +15 ms, ~10% buckets
  });

  it('buckets by the start of the hour of its clock', async () => {
    const { b, batches, setClock } = setup();
    setClock(T0 + H - 1);
    b.pair(cart);
    setClock(T0 + H);
    b.pair(cart);
    b.example(ex(T0));
    await b.flush();
    expect(batches[0]!.pairs.map((p) => [p.hour, p.count])).toEqual([
      [T0, 1],
      [T0 + H, 1],
    ]);
    expect(batches[0]!.examples[0]!.hour).toBe(T0 + H);
  });

  it('writes nothing when nothing is pending', async () => {
    const { b, batches } = setup();
    await b.flush();
    expect(batches).toEqual([]);
    expect(b.stats().flushes).toBe(0);
  });

  it('flushes on its timer, and stop() writes what is left', async () => {
    vi.useFakeTimers();
    const { b, batches } = setup({ flushMs: 1000 });
    b.pair(cart);
    vi.advanceTimersByTime(999);
    expect(batches).toHaveLength(0);
    vi.advanceTimersByTime(1);
    expect(batches).toHaveLength(1);
    b.pair(cart);
    await b.stop();
    expect(batches).toHaveLength(2);
    b.pair(cart);
    vi.advanceTimersByTime(5000);
    expect(batches).toHaveLength(2); // no timer after stop
  });

  it('drops and counts new keys past maxKeys while existing keys keep counting', async () => {
    const { b, batches } = setup({ maxKeys: 2 });
    b.pair(cart);
    b.field(cart, 'status', 'status', false);
    b.pair({ ...cart, endpoint: 'GET /other' });
    b.skip('checkout', 'v2', 'x');
    b.pair(cart);
    expect(b.stats().dropped.keys).toBe(2);
    await b.flush();
    expect(batches[0]!.pairs).toEqual([{ hour: T0, ...cart, count: 2 }]);
    b.pair({ ...cart, endpoint: 'GET /other' }); // room again after a flush
    await b.flush();
    expect(batches[1]!.pairs).toHaveLength(1);
  });

  it('caps examples per flush (counted) and per signature per hour (not a loss)', async () => {
    const { b, batches, setClock } = setup({ maxExamplesPerFlush: 4, maxExamplesPerSignature: 2 });
    for (let i = 0; i < 5; i++) b.example(ex(i));
    expect(b.wantsExample(cart, 'body:$.total', 'value')).toBe(false);
    expect(b.wantsExample(cart, 'body:$.total', 'type')).toBe(true);
    for (let i = 0; i < 5; i++) b.example(ex(i, { field: `f${i}` }));
    await b.flush();
    expect(batches[0]!.examples.map((e) => e.field)).toEqual(['body:$.total', 'body:$.total', 'f0', 'f1']);
    expect(b.stats().dropped.examples).toBe(3);
    setClock(T0 + H);
    expect(b.wantsExample(cart, 'body:$.total', 'value')).toBe(true); // a new hour, a new quota
  });

  it('never throws when the store fails: counts, reports and drops that batch', async () => {
    const errors: unknown[] = [];
    let fail = true;
    const written: DiffBatch[] = [];
    const store = {
      async write(x: DiffBatch) {
        if (fail) throw new Error('SQLITE_FULL: database or disk is full');
        written.push(x);
      },
    };
    const { b } = setup({ store, onError: (e) => errors.push(e) });
    b.pair(cart);
    b.example(ex(1));
    await expect(b.flush()).resolves.toBeUndefined();
    expect(errors).toHaveLength(1);
    expect(b.stats()).toMatchObject({
      flushes: 0,
      failures: 1,
      dropped: { write: 2 },
      lastError: 'SQLITE_FULL: database or disk is full',
      pending: 0,
    });
    fail = false;
    b.pair(cart);
    await b.flush();
    expect(written[0]!.pairs[0]!.count).toBe(1); // the failed batch is not replayed
    expect(b.stats().flushes).toBe(1);
  });

  it('survives an onError that throws, including from the timer', async () => {
    vi.useFakeTimers();
    const { b } = setup({
      flushMs: 10,
      store: {
        write: async () => {
          throw new Error('locked');
        },
      },
      onError: () => {
        throw new Error('bad handler');
      },
    });
    b.pair(cart);
    await expect(vi.advanceTimersByTimeAsync(10)).resolves.toBeDefined();
    expect(b.stats().failures).toBe(1);
  });

  it('feeds a real store end to end', async () => {
    const store = openSqliteStore(':memory:');
    const { b } = setup({ store });
    b.pair(cart);
    b.field(cart, 'body:$.total', 'value', true);
    b.latency(cart, 10, 12);
    b.example(ex(T0 + 5));
    await b.flush();
    b.pair(cart);
    b.latency(cart, 10, 12);
    await b.flush();
    const rows = await store.rows({ route: 'checkout' });
    expect(rows.pairs[0]!.count).toBe(2);
    expect(count(rows.latency[0]!.primary)).toBe(2);
    expect(await store.examples({ field: 'body:$.total' })).toHaveLength(1);
    await store.close();
  });

  it('caps endpoints per route and shadow, and fields per endpoint, into a counted (other) bucket', async () => {
    const { b, batches, setClock } = setup({ maxEndpoints: 2, maxFields: 1 });
    for (const path of ['/a', '/b', '/c', '/d', '/a']) {
      const t = { ...cart, endpoint: `GET ${path}` };
      b.pair(t);
      b.field(t, 'body:$.x', 'value', true);
      b.field(t, 'body:$.y', 'value', true);
      b.example(ex(T0, { endpoint: t.endpoint, field: 'body:$.y' }));
    }
    b.pair({ ...cart, shadow: 'v3', endpoint: 'GET /c' }); // another shadow has caps of its own
    await b.flush();
    const [w] = batches;
    const pairs = Object.fromEntries(w!.pairs.map((p) => [`${p.shadow} ${p.endpoint}`, p.count]));
    expect(pairs).toEqual({ 'v2 GET /a': 2, 'v2 GET /b': 1, 'v2 (other)': 2, 'v3 GET /c': 1 });
    expect(w!.fields.filter((f) => f.endpoint === 'GET /a').map((f) => [f.field, f.compared])).toEqual([
      ['body:$.x', 2],
      ['(other)', 2],
    ]);
    expect(w!.examples.map((e) => `${e.endpoint} ${e.field}`)).toContain('(other) (other)');
    expect(b.stats().overflow).toEqual({ endpoints: 8, fields: 10 }); // /c and /d × (pair, 2 fields, example); every y field and example
    setClock(T0 + H + 1); // a new hour admits anew
    b.pair({ ...cart, endpoint: 'GET /d' });
    await b.flush();
    expect(batches[1]!.pairs.map((p) => p.endpoint)).toEqual(['GET /d']);
  });
});
