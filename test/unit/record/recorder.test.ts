// The recorder between the request path and the store: bounded queue (drops counted), outcomes
// of the store's caps counted by reason, a failing store costs only its batch, metrics families.
import { describe, expect, it } from 'vitest';
import { createRequestRecorder, type CapturedExchange } from '../../../src/record/recorder.js';
import type { RecordCaps, RecordedSample, RecordOutcome } from '../../../src/storage/record-types.js';
import { snapshotOf } from '../experiments/fixtures.js';

const YAML = `
upstreams: { a: "http://127.0.0.1:9" }
store: { url: "sqlite::memory:", recordings: { maxSamples: 50, maxBytes: 1MiB } }
routes:
  - name: r
    arms: { control: a }
    record: { percent: 100, maxSamples: 7 }
`;

const fixtures = snapshotOf(YAML);

function exchange(n: number, over: Partial<CapturedExchange> = {}): CapturedExchange {
  const spec = fixtures.snap.routes[0]!.record!;
  return {
    route: 'r',
    spec,
    at: 1_700_000_000_000 + n,
    requestId: `id-${n}`,
    key: `unit-${n}`,
    bucket: 1,
    arm: 'control',
    method: 'GET',
    target: `/x/${n}`,
    headers: ['accept', '*/*', 'authorization', 'Bearer t'],
    requestBody: null,
    requestType: undefined,
    requestEncoding: undefined,
    response: {
      status: 200,
      headers: { 'content-type': 'application/json' },
      body: Buffer.from('{"a":1}'),
      truncated: false,
      bodyBytes: 7,
      latencyMs: 1,
    },
    ...over,
  };
}

describe('createRequestRecorder', () => {
  it('writes queued exchanges in one batch under the live caps and counts each outcome', async () => {
    const writes: { samples: readonly RecordedSample[]; caps: RecordCaps }[] = [];
    const rec = createRequestRecorder({
      store: {
        writeRecords: async (samples, caps) => {
          writes.push({ samples, caps });
          return samples.map((_, i): RecordOutcome => (i < 2 ? 'stored' : 'route_samples'));
        },
        pruneRecords: async () => 0,
      },
      current: () => fixtures.snap,
      flushMs: 60_000,
    });
    for (let i = 0; i < 3; i++) rec.offer(exchange(i));
    expect(rec.stats().queued).toBe(3);
    await rec.flush();
    expect(writes).toHaveLength(1);
    expect(writes[0]!.caps).toEqual({
      routes: { r: { maxSamples: 7, maxBytes: 64 * 2 ** 20 } },
      total: { maxSamples: 50, maxBytes: 2 ** 20 },
    });
    expect(writes[0]!.samples[0]!.requestHeaders).toEqual([
      ['accept', '*/*'],
      ['authorization', '[redacted]'],
    ]);
    expect(rec.stats()).toEqual({ queued: 0, stored: { r: 2 }, dropped: { r: { route_samples: 1 } } });
    const families = rec.metrics();
    expect(families.map((f) => f.name)).toEqual([
      'fieldlab_record_samples_total',
      'fieldlab_record_dropped_total',
      'fieldlab_record_queued',
    ]);
    await rec.stop();
  });

  it('drops and counts when the queue is full; a failing store costs its batch, counted, never a throw', async () => {
    let fail = true;
    const errors: unknown[] = [];
    const rec = createRequestRecorder({
      store: {
        writeRecords: async (samples) => {
          if (fail) throw new Error('disk full');
          return samples.map(() => 'stored' as const);
        },
        pruneRecords: async () => 0,
      },
      current: () => fixtures.snap,
      flushMs: 60_000,
      limits: { maxQueue: 2 },
      onError: (e) => errors.push(e),
    });
    for (let i = 0; i < 5; i++) rec.offer(exchange(i));
    await rec.flush();
    expect(rec.stats().dropped.r).toEqual({ queue_full: 3, store_failed: 2 });
    expect(errors).toHaveLength(1);
    fail = false;
    rec.offer(exchange(9));
    await rec.flush();
    expect(rec.stats().stored.r).toBe(1);
    await rec.stop();
  });

  it('drops a request whose body cannot be redacted (unreadable JSON), keeps the rest of the batch', async () => {
    const stored: RecordedSample[] = [];
    const rec = createRequestRecorder({
      store: {
        writeRecords: async (s) => {
          stored.push(...s);
          return s.map(() => 'stored' as const);
        },
        pruneRecords: async () => 0,
      },
      current: () => fixtures.snap,
      flushMs: 60_000,
    });
    rec.offer(exchange(1, { method: 'POST', requestBody: Buffer.from('{"password": "x'), requestType: 'application/json' }));
    rec.offer(exchange(2));
    await rec.flush();
    expect(stored.map((s) => s.requestId)).toEqual(['id-2']);
    expect(rec.stats().dropped.r).toEqual({ unredactable: 1 });
    await rec.stop();
    await fixtures.close();
  });
});
