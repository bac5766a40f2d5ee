// The span buffer's three bounds, each dropping and counting.
import { describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../../../src/traces/otlp-decode.js';
import { createSpanBuffer } from '../../../src/traces/span-buffer.js';

const span = (trace: number, id: number): ReceivedSpan => ({
  traceId: trace.toString(16).padStart(32, '0'),
  spanId: id.toString(16).padStart(16, '0'),
  parentSpanId: undefined,
  service: 's',
  name: 'n',
  startMs: 0,
  durationMs: 1,
  error: false,
});

describe('createSpanBuffer', () => {
  it('caps spans per trace and traces held, oldest first', () => {
    const b = createSpanBuffer({
      maxTraces: 2,
      maxSpansPerTrace: 2,
      holdMs: 1000,
      now: () => 0,
    });
    b.add([span(1, 1), span(1, 2), span(1, 3)]);
    b.add([span(2, 1), span(3, 1)]);
    expect(b.get(span(1, 1).traceId)).toBeUndefined();
    expect(b.get(span(3, 1).traceId)?.spans).toHaveLength(1);
    expect(b.stats()).toEqual({
      traces: 2,
      spans: 2,
      dropped: { traces: 1, spans: 1, expired: 0 },
    });
  });

  it('forgets traces untouched for holdMs', () => {
    let t = 0;
    const b = createSpanBuffer({
      maxTraces: 10,
      maxSpansPerTrace: 10,
      holdMs: 100,
      now: () => t,
    });
    b.add([span(1, 1)]);
    t = 50;
    b.add([span(2, 1)]);
    t = 120;
    b.sweep();
    expect(b.get(span(1, 1).traceId)).toBeUndefined();
    expect(b.get(span(2, 1).traceId)).toBeDefined();
    expect(b.stats().dropped.expired).toBe(1);
  });

  it('caps spans held in total: the oldest traces go, counted, never the one being filled', () => {
    const b = createSpanBuffer({
      maxTraces: 100,
      maxSpansPerTrace: 10,
      holdMs: 1000,
      maxSpans: 5,
      now: () => 0,
    });
    b.add([span(1, 1), span(1, 2), span(1, 3)]);
    b.add([span(2, 1), span(2, 2), span(2, 3)]);
    expect(b.get(span(1, 1).traceId)).toBeUndefined();
    expect(b.stats()).toEqual({
      traces: 1,
      spans: 3,
      dropped: { traces: 1, spans: 0, expired: 0 },
    });
    b.add([span(2, 4), span(2, 5), span(2, 6)]);
    expect(b.stats()).toEqual({
      traces: 1,
      spans: 5,
      dropped: { traces: 1, spans: 1, expired: 0 },
    });
  });

  it('1,000 batches stay under the total span cap', () => {
    const b = createSpanBuffer({
      maxTraces: 10_000,
      maxSpansPerTrace: 1000,
      holdMs: 1000,
      maxSpans: 500,
      now: () => 0,
    });
    for (let i = 0; i < 1000; i++) b.add([span(i + 1, 1), span(i + 1, 2)]);
    expect(b.stats().spans).toBeLessThanOrEqual(500);
    expect(b.stats().dropped.traces).toBe(750);
  });

  it('starts at most maxNewTracesPerBatch traces per batch; the rest is dropped and counted', () => {
    const b = createSpanBuffer({
      maxTraces: 10_000,
      maxSpansPerTrace: 10,
      holdMs: 1000,
      now: () => 0,
    });
    const batch = Array.from({ length: 72_000 }, (_, i) => span(i + 1, 1));
    b.add(batch);
    expect(b.stats()).toEqual({
      traces: 1000,
      spans: 1000,
      dropped: { traces: 0, spans: 71_000, expired: 0 },
    });
  });

  it('evicts oldest-first across sweeps and re-created traces (FIFO stays consistent)', () => {
    let t = 0;
    const b = createSpanBuffer({
      maxTraces: 3,
      maxSpansPerTrace: 10,
      holdMs: 100,
      maxNewTracesPerBatch: 100,
      now: () => t,
    });
    b.add([span(1, 1), span(2, 1)]);
    t = 50;
    b.add([span(3, 1)]);
    t = 120;
    b.sweep(); // 1 and 2 expire
    b.add([span(1, 2), span(4, 1), span(5, 1)]); // 1 re-created; full at 3 → 3 goes (oldest live)
    expect(b.get(span(3, 1).traceId)).toBeUndefined();
    expect(b.get(span(1, 1).traceId)?.spans).toHaveLength(1);
    b.add([span(6, 1)]); // next oldest is the re-created 1
    expect(b.get(span(1, 1).traceId)).toBeUndefined();
    expect(b.stats()).toEqual({
      traces: 3,
      spans: 3,
      dropped: { traces: 2, spans: 0, expired: 2 },
    });
  });

  it('evicts through 100k distinct traces oldest-first, each counted', () => {
    const b = createSpanBuffer({
      maxTraces: 1000,
      maxSpansPerTrace: 10,
      holdMs: 1000,
      maxNewTracesPerBatch: 1000,
      now: () => 0,
    });
    for (let k = 0; k < 100; k++) b.add(Array.from({ length: 1000 }, (_, i) => span(k * 1000 + i + 1, 1)));
    expect(b.stats()).toEqual({
      traces: 1000,
      spans: 1000,
      dropped: { traces: 99_000, spans: 0, expired: 0 },
    });
    expect(b.get(span(99_001, 1).traceId)).toBeDefined();
    expect(b.get(span(99_000, 1).traceId)).toBeUndefined();
  });
});
