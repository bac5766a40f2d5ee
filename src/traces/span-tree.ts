/**
 * A span tree reduced to what can be compared across builds: below the span id Fieldlab sent in
 * `traceparent`, every descendant counted by (service, operation), with its calls, errors and time.
 * Span names are templated like endpoints (`GET /items/123` → `GET /items/:id`), so ids in names do
 * not make every call a new dependency.
 */
import { paramOf } from '../compare/template.js';
import type { ReceivedSpan } from './otlp-decode.js';

/** One (service, operation) below a call. */
export interface OpStats {
  calls: number;
  errors: number;
  /** Sum of the spans' durations, ms: the time this request spent in the operation. */
  totalMs: number;
}

/** The tree below one call: operations by key and the spans, for examples. */
export interface CallTree {
  /** `service operation` → stats. */
  readonly ops: Map<string, OpStats>;
  /** The call's spans in depth-first order with their depth (examples render them). */
  readonly spans: readonly { readonly span: ReceivedSpan; readonly depth: number; readonly op: string }[];
}

/** Most spans walked below one call (a trace is already capped by traces.maxSpansPerTrace). */
const MAX_WALK = 5000;

/**
 * A span name with id-like tokens templated: path segments and whole words alike.
 * @example operationOf('GET /items/123') // 'GET /items/:id'
 * @example operationOf('SELECT orders') // 'SELECT orders'
 */
export function operationOf(name: string): string {
  return name
    .split(' ')
    .map((word) =>
      word.includes('/')
        ? word
            .split('/')
            .map((seg) => paramOf(seg) ?? seg)
            .join('/')
        : (paramOf(word) ?? word),
    )
    .join(' ');
}

/**
 * The tree below the span `parentId` (the id Fieldlab sent upstream), or undefined when no span of
 * the trace names it as parent (the service sent nothing, or not yet). `selfAs` renames the
 * called service itself (its root span's service) so a dark build deployed under another
 * service.name still compares with the primary.
 * @example callTree(trace.spans, primarySpanId)?.ops.get('inventory GET /items/:id')?.calls
 */
export function callTree(spans: readonly ReceivedSpan[], parentId: string, selfAs?: string): CallTree | undefined {
  const children = new Map<string, ReceivedSpan[]>();
  for (const s of spans) {
    if (s.parentSpanId === undefined) continue;
    const list = children.get(s.parentSpanId);
    if (list) list.push(s);
    else children.set(s.parentSpanId, [s]);
  }
  const roots = children.get(parentId);
  if (!roots) return undefined;
  const self = roots[0]!.service;
  const ops = new Map<string, OpStats>();
  const out: { span: ReceivedSpan; depth: number; op: string }[] = [];
  const seen = new Set<string>();
  const stack = [...roots].reverse().map((span) => ({ span, depth: 0 }));
  while (stack.length > 0 && out.length < MAX_WALK) {
    const { span, depth } = stack.pop()!;
    // A span id seen twice (a resent batch, a cycle from a buggy exporter) is counted once.
    if (seen.has(span.spanId)) continue;
    seen.add(span.spanId);
    const service = selfAs !== undefined && span.service === self ? selfAs : span.service;
    const op = `${service} ${operationOf(span.name)}`;
    const o = ops.get(op);
    if (o) {
      o.calls++;
      o.errors += span.error ? 1 : 0;
      o.totalMs += span.durationMs;
    } else ops.set(op, { calls: 1, errors: span.error ? 1 : 0, totalMs: span.durationMs });
    out.push({ span, depth, op });
    const kids = children.get(span.spanId);
    if (kids) for (let i = kids.length - 1; i >= 0; i--) stack.push({ span: kids[i]!, depth: depth + 1 });
  }
  return { ops, spans: out };
}

/** The service that answered the call (its first span's), for `selfAs` on the other side. */
export function calledService(tree: CallTree): string | undefined {
  return tree.spans[0]?.span.service;
}

const RENDER_MAX = 60;

/**
 * The tree as indented text for a diff example: `  inventory GET /items/:id  3.2 ms  ERROR`.
 * @example renderTree(tree) // 'checkout GET /checkout  12.0 ms\n  inventory GET /items/:id  3.1 ms'
 */
export function renderTree(tree: CallTree | undefined): string {
  if (!tree) return '(no spans received for this call)';
  const lines = tree.spans
    .slice(0, RENDER_MAX)
    .map(({ span, depth, op }) => `${'  '.repeat(depth)}${op}  ${span.durationMs.toFixed(1)} ms${span.error ? '  ERROR' : ''}`);
  if (tree.spans.length > RENDER_MAX) lines.push(`… ${tree.spans.length - RENDER_MAX} more spans`);
  return lines.join('\n');
}
