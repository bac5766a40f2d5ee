// Call trees below the span Fieldlab sent, and the fields two of them differ in.
import { describe, expect, it } from 'vitest';
import type { ReceivedSpan } from '../../../src/traces/otlp-decode.js';
import { callTree, operationOf, renderTree } from '../../../src/traces/span-tree.js';
import { diffTrees } from '../../../src/traces/tree-diff.js';

const T = 'a'.repeat(32);
let n = 0;
function span(service: string, name: string, parent: string | undefined, durationMs = 1, error = false): ReceivedSpan {
  n++;
  return { traceId: T, spanId: n.toString(16).padStart(16, '0'), parentSpanId: parent, service, name, startMs: 0, durationMs, error };
}

/** primary call p → checkout → inventory ×calls, under Fieldlab's span id `sent`. */
function build(sent: string, service: string, calls: number, extra: ReceivedSpan[] = []): ReceivedSpan[] {
  const root = span(service, `GET /checkout/${n + 100}`, sent, 10);
  const out = [root];
  for (let i = 0; i < calls; i++) out.push(span('inventory', `GET /items/${i + 1}`, root.spanId, 2));
  for (const e of extra) out.push({ ...e, parentSpanId: root.spanId });
  return out;
}

describe('operationOf', () => {
  it('templates ids in span names like endpoints', () => {
    expect(operationOf('GET /items/123')).toBe('GET /items/:id');
    expect(operationOf('SELECT orders')).toBe('SELECT orders');
    expect(operationOf('charge 4bf92f3577b34da6a3ce929d0e0e4736')).toBe('charge :hash');
  });
});

describe('callTree', () => {
  it('counts the operations below the sent span id only', () => {
    const spans = [...build('1111111111111111', 'checkout', 2), ...build('2222222222222222', 'checkout', 1)];
    const t = callTree(spans, '1111111111111111')!;
    expect(Object.fromEntries(t.ops)).toEqual({
      'checkout GET /checkout/:id': { calls: 1, errors: 0, totalMs: 10 },
      'inventory GET /items/:id': { calls: 2, errors: 0, totalMs: 4 },
    });
    expect(callTree(spans, '3333333333333333')).toBeUndefined();
    expect(renderTree(t)).toContain('  inventory GET /items/:id  2.0 ms');
  });

  it('names the called service like the other side when asked (a dark build under its own service.name)', () => {
    const t = callTree(build('1111111111111111', 'checkout-dark', 1), '1111111111111111', 'checkout')!;
    expect([...t.ops.keys()]).toEqual(['checkout GET /checkout/:id', 'inventory GET /items/:id']);
  });
});

describe('diffTrees', () => {
  const tree = (calls: number, extra: ReceivedSpan[] = [], rootMs?: number) => {
    const spans = build('1111111111111111', 'checkout', calls, extra);
    if (rootMs !== undefined) spans[0] = { ...spans[0]!, durationMs: rootMs };
    return callTree(spans, '1111111111111111')!;
  };

  it('finds added calls, changed counts, errors and the slower side', () => {
    const d = diffTrees(tree(1), tree(2, [span('fraud', 'POST /check', undefined, 1, true)], 30));
    const differing = Object.fromEntries(d.fields.filter((f) => f.differed).map((f) => [f.field, f.kind]));
    expect(differing).toEqual({
      'trace:calls:fraud POST /check': 'added',
      'trace:errors:fraud POST /check': 'error',
      'trace:calls:inventory GET /items/:id': 'value',
      'trace:slower:checkout GET /checkout/:id': 'value',
      'trace:slower:inventory GET /items/:id': 'value',
    });
    expect(d.latency).toContainEqual({ op: 'checkout GET /checkout/:id', primaryMs: 10, candidateMs: 30 });
    // The pair's delta rides on its slower field, for the report's mean paired delta.
    expect(d.fields.find((f) => f.field === 'trace:slower:checkout GET /checkout/:id')?.deltaMs).toBe(20);
  });

  it('compares known operations absent from both trees as the same (the shared denominator)', () => {
    const d = diffTrees(tree(1), tree(1), ['cache GET /refresh']);
    expect(d.fields).toContainEqual({ field: 'trace:calls:cache GET /refresh', kind: 'same', differed: false });
    expect(d.fields.some((f) => f.field === 'trace:slower:cache GET /refresh')).toBe(false);
    expect(d.fields.every((f) => !f.differed || f.field.startsWith('trace:slower:'))).toBe(true);
  });
});
