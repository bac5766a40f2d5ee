/**
 * A route's `record:` compiled for the hot path: the sample threshold, method set, caps, byte
 * budget and redaction rules, built once per config so a request on a recording route pays one
 * hash and a few comparisons, and one on any other route pays nothing.
 */
import type { RawRecord } from '../config/schema-record.js';
import { createByteBudget, type ByteBudget } from '../mirror/byte-budget.js';
import type { RecordCap } from '../storage/record-types.js';
import { redactRules, type RedactRules } from './redact-sample.js';

/** One route's compiled `record:`. */
export interface CompiledRecord {
  /** Record when the unit's (or request's) record bucket is below this (percent × 100). */
  readonly sampleBelow: number;
  /** Sample by the route's sticky key (true) or by request id. */
  readonly byUnit: boolean;
  /** Methods recorded; undefined: all. */
  readonly methods: ReadonlySet<string> | undefined;
  /** Body bytes kept per side. */
  readonly maxBody: number;
  readonly cap: RecordCap;
  /** Captured bytes per second (shared by the route's requests until the next reload). */
  readonly budget: ByteBudget;
  readonly retentionMs: number;
  readonly redact: RedactRules;
  /** The raw rules, for replay's comparison (`record.compare`). */
  readonly compare: RawRecord['compare'];
}

/**
 * Compiles `record:`.
 * @example compileRecord(route.record) // { sampleBelow: 100, byUnit: true, … }
 */
export function compileRecord(raw: RawRecord): CompiledRecord {
  return {
    sampleBelow: Math.round(raw.percent * 100),
    byUnit: raw.by === 'unit',
    methods: raw.methods ? new Set(raw.methods) : undefined,
    maxBody: raw.maxBody,
    cap: { maxSamples: raw.maxSamples, maxBytes: raw.maxBytes },
    budget: createByteBudget(raw.maxBytesPerSecond, performance.now()),
    retentionMs: raw.retention,
    redact: redactRules(raw.redact),
    compare: raw.compare,
  };
}
