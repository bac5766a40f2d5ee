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
    const b = createSpanBuffer({ maxTraces: 2, maxSpansPerTrace: 2, holdMs: 1000, now: () => 0 });
    b.add([span(1, 1), span(1, 2), span(1, 3)]);
    b.add([span(2, 1), span(3, 1)]);
    expect(b.get(span(1, 1).traceId)).toBeUndefined();
    expect(b.get(span(3, 1).traceId)?.spans).toHaveLength(1);
    expect(b.stats()).toEqual({ traces: 2, spans: 2, dropped: { traces: 1, spans: 1, expired: 0 } });
  });

  it('forgets traces untouched for holdMs', () => {
    let t = 0;
    const b = createSpanBuffer({ maxTraces: 10, maxSpansPerTrace: 10, holdMs: 100, now: () => t });
    b.add([span(1, 1)]);
    t = 50;
    b.add([span(2, 1)]);
    t = 120;
    b.sweep();
    expect(b.get(span(1, 1).traceId)).toBeUndefined();
    expect(b.get(span(2, 1).traceId)).toBeDefined();
    expect(b.stats().dropped.expired).toBe(1);
  });
});
