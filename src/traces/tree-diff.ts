/**
 * Two call trees (below the primary call and below its shadow copy) → fields in the same shape as
 * response fields, so the same counts, noise statistics, report and `--fail-on` apply to them:
 *
 * - `trace:calls:OP` — the operation's call count: `added` (only the shadow calls it), `removed`,
 *   `value` (called a different number of times) or `same`;
 * - `trace:errors:OP` — its error count differs (`error`);
 * - `trace:slower:OP` — called on both sides and the shadow spent longer in it (`value`): a paired
 *   sign test — about half the pairs when nothing changed, so only a shift beyond what noise pairs
 *   show is `real`; the size of the shift is the field's paired delta (`deltaMs`, summed in storage
 *   and shown as the mean paired delta beside the field).
 *
 * Calls and errors are compared for every operation the endpoint is `known` to call, present in
 * these trees or not, in shadow and noise pairs alike: the two rates then share a denominator, so
 * a call made at random by every build differs as often in both and stays noise, while a call only
 * the shadow makes is compared (and the same) in every noise pair.
 */
import type { DiffKind } from '../compare/types.js';
import type { CallTree } from './span-tree.js';

/** One compared trace field of one pair. */
export interface TraceField {
  readonly field: string;
  readonly kind: DiffKind;
  readonly differed: boolean;
  /** `trace:slower:` only: shadow ms − primary ms in the operation, this pair. */
  readonly deltaMs?: number;
}

/** Time spent in one operation on both sides. */
export interface OpLatency {
  readonly op: string;
  readonly primaryMs: number;
  readonly candidateMs: number;
}

/** The comparison of two trees. */
export interface TreeDiff {
  readonly fields: readonly TraceField[];
  readonly latency: readonly OpLatency[];
}

/** Field prefixes, for the report (a trace field is shown beside the response's). */
export const TRACE_FIELD = { calls: 'trace:calls:', errors: 'trace:errors:', slower: 'trace:slower:' } as const;

/**
 * True for a field produced here.
 * @example isTraceField('trace:calls:inventory GET /items/:id') // true
 */
export function isTraceField(field: string): boolean {
  return field.startsWith('trace:');
}

/**
 * Compares the operations of two trees.
 * @example diffTrees(primary, shadow).fields.filter((f) => f.differed) // [{ field: 'trace:calls:fraud POST /check', kind: 'added', differed: true }]
 */
export function diffTrees(primary: Pick<CallTree, 'ops'>, candidate: Pick<CallTree, 'ops'>, known: Iterable<string> = []): TreeDiff {
  const fields: TraceField[] = [];
  const latency: OpLatency[] = [];
  const keys = new Set([...known, ...primary.ops.keys(), ...candidate.ops.keys()]);
  for (const op of [...keys].sort()) {
    const p = primary.ops.get(op);
    const c = candidate.ops.get(op);
    const pc = p?.calls ?? 0;
    const cc = c?.calls ?? 0;
    const kind: DiffKind = pc === cc ? 'same' : pc === 0 ? 'added' : cc === 0 ? 'removed' : 'value';
    fields.push({ field: TRACE_FIELD.calls + op, kind, differed: kind !== 'same' });
    const pe = p?.errors ?? 0;
    const ce = c?.errors ?? 0;
    fields.push({ field: TRACE_FIELD.errors + op, kind: pe === ce ? 'same' : 'error', differed: pe !== ce });
    if (p && c) {
      const slower = c.totalMs > p.totalMs;
      fields.push({ field: TRACE_FIELD.slower + op, kind: slower ? 'value' : 'same', differed: slower, deltaMs: c.totalMs - p.totalMs });
      latency.push({ op, primaryMs: p.totalMs, candidateMs: c.totalMs });
    }
  }
  return { fields, latency };
}
