/**
 * The shadow-diff repository interface: asynchronous and backend-neutral. The proxy writes
 * aggregated increments in batches off the request path (the batcher's timer); reports read them
 * back. Every backend (SQLite in a worker thread, PostgreSQL for fleets) implements it and passes the
 * shared contract suite (test/unit/storage/store-contract.ts).
 */
import type { DiffReport, ReportPage } from '../compare/report.js';
import type { DiffKind } from '../compare/types.js';
import type { ExperimentStore } from './experiment-types.js';
import type { GuardrailStore } from './guardrail-types.js';
import type { ProfileRow } from './profile-rows.js';
import type { RecordStore } from './record-types.js';

/**
 * The overflow bucket: an endpoint past `store.maxEndpoints` of its route and shadow (or a field
 * past `store.maxFields` of its endpoint) is counted under this name by the batcher, so a flood of
 * distinct paths costs a bounded number of rows and still shows up, counted, in every report.
 */
export const OVERFLOW = '(other)';

/** Aggregation key shared by every diff row: one hour × route × shadow × endpoint. */
export interface DiffScope {
  /** Start of the hour, epoch ms. */
  readonly hour: number;
  readonly route: string;
  readonly shadow: string;
  readonly endpoint: string;
}

/** Increments accumulated in memory and written in one transaction. */
export interface DiffBatch {
  /** Pairs compared per scope. */
  readonly pairs: readonly (DiffScope & { readonly count: number })[];
  /** Per field: how many pairs compared it and how many differed (by kind). */
  readonly fields: readonly (DiffScope & {
    readonly field: string;
    readonly kind: DiffKind;
    readonly compared: number;
    readonly differed: number;
    /** Sum of paired latency deltas (shadow − primary, ms) over the compared pairs; `trace:slower:` fields only. */
    readonly deltaMs?: number;
  })[];
  /** Noise observations per field (primary vs primary-copy, or repeated primary responses). */
  readonly noise: readonly (DiffScope & { readonly field: string; readonly compared: number; readonly differed: number })[];
  /** Status transitions primary → candidate. */
  readonly statuses: readonly (DiffScope & { readonly primary: number; readonly candidate: number; readonly count: number })[];
  /**
   * Paired latency delta histograms per `trace:slower:` field (DELTA_BOUNDS), to merge: `noise`
   * false for shadow pairs, true for noise pairs (noiseFrom copies, repeated primaries).
   */
  readonly deltas?: readonly (DiffScope & { readonly field: string; readonly noise: boolean; readonly hist: readonly number[] })[];
  /** Arm-profile increments per minute (storage/profile-rows.ts), to add. */
  readonly profiles?: readonly ProfileRow[];
  /** Latency histograms to merge (see stats/histogram.ts for the bucket layout). */
  readonly latency: readonly (DiffScope & {
    readonly primary: readonly number[];
    readonly candidate: readonly number[];
    readonly delta: readonly number[];
  })[];
  /** Example pairs (already redacted and capped); the store keeps a few per signature. */
  readonly examples: readonly DiffExample[];
  /** Skipped or dropped mirror work, by reason, per route and shadow. */
  readonly skips: readonly {
    readonly hour: number;
    readonly route: string;
    readonly shadow: string;
    readonly reason: string;
    readonly count: number;
  }[];
}

/** A stored example of one differing field signature. */
export interface DiffExample extends DiffScope {
  readonly field: string;
  readonly kind: DiffKind;
  readonly at: number;
  readonly requestId: string;
  readonly traceId: string | undefined;
  readonly method: string;
  readonly path: string;
  readonly primaryStatus: number;
  readonly candidateStatus: number;
  /** Decoded bodies as text, capped; redacted fields replaced by "[redacted]". */
  readonly primaryBody: string;
  readonly candidateBody: string;
  /** All differing field paths of this pair, for highlighting. */
  readonly paths: readonly string[];
  readonly primaryLatencyMs: number;
  readonly candidateLatencyMs: number;
}

/** Report filters; all optional. */
export interface DiffFilter {
  readonly route?: string;
  readonly shadow?: string;
  readonly endpoint?: string;
  /** Inclusive lower bound, epoch ms. */
  readonly since?: number;
  readonly until?: number;
}

/** Raw aggregated rows for a filter; the report layer turns them into rates and verdicts. */
export interface DiffRows {
  readonly pairs: readonly { route: string; shadow: string; endpoint: string; count: number }[];
  readonly fields: readonly {
    route: string;
    shadow: string;
    endpoint: string;
    field: string;
    kind: DiffKind;
    compared: number;
    differed: number;
    /** Summed paired latency deltas, ms (0 for fields without latency). */
    deltaMs?: number;
  }[];
  readonly noise: readonly { route: string; shadow: string; endpoint: string; field: string; compared: number; differed: number }[];
  readonly statuses: readonly { route: string; shadow: string; endpoint: string; primary: number; candidate: number; count: number }[];
  readonly latency: readonly { route: string; shadow: string; endpoint: string; primary: number[]; candidate: number[]; delta: number[] }[];
  /** Paired delta histograms per field, summed over the hours (absent from stores that predate them). */
  readonly deltas?: readonly { route: string; shadow: string; endpoint: string; field: string; noise: boolean; hist: number[] }[];
  readonly skips: readonly { route: string; shadow: string; reason: string; count: number }[];
}

/** Retention limits every DiffStore implementation honours (the shared contract suite checks them). */
export interface DiffStoreLimits {
  /** Examples kept per (route, shadow, endpoint, field, kind) signature — the first ones seen. Default 3. */
  readonly maxExamplesPerSignature?: number;
  /** Examples kept in total; `prune()` trims the oldest beyond it. Default 5000. */
  readonly maxExamples?: number;
}

/** A report request: which data, and which page of the ranking. */
export interface ReportQuery {
  readonly filter: DiffFilter;
  readonly page?: ReportPage;
}

/** An example lookup: the filter plus a field and how many (default 20, at most 1000). */
export type ExampleFilter = DiffFilter & { readonly field?: string; readonly limit?: number };

/**
 * The repository. Every method returns a Promise and is only ever called off the request path; a
 * rejected promise is the backend's failure (disk full, queue full, connection lost), never a throw.
 * @example
 * await store.write(batch);
 * const rows = await store.rows({ route: 'checkout', since: Date.now() - 3_600_000 });
 */
export interface DiffStore {
  /** Applies a batch atomically (one transaction). */
  write(batch: DiffBatch): Promise<void>;
  /** Aggregated rows summed over the filter's hours. */
  rows(filter: DiffFilter): Promise<DiffRows>;
  /** Examples for an endpoint/field, newest first. */
  examples(filter: ExampleFilter): Promise<DiffExample[]>;
  /**
   * One bounded page of the report, built where the data is (the SQLite worker builds it off the
   * proxy's loop). Any backend may return `buildReport(await this.rows(q.filter), q.filter, {}, q.page)`.
   */
  report(query: ReportQuery): Promise<DiffReport>;
  /**
   * The route's stored arm-profile rows at or after `since` (epoch ms), summed per arm and operation
   * (every replica's, on a shared store). Optional so stores that predate profiles still type-check.
   */
  profiles?(route: string, since: number): Promise<ProfileRow[]>;
  /** Deletes data older than `before` (epoch ms) and trims examples; resolves to rows deleted. */
  prune(before: number): Promise<number>;
  /** Idempotent. */
  close(): Promise<void>;
}

/** Every repository of one store, as `openStore(url)` returns them. */
export interface Stores {
  readonly diffs: DiffStore;
  readonly guardrails: GuardrailStore;
  readonly experiments: ExperimentStore;
  /** Recorded requests for `fieldlab replay` (`record:` on a route). */
  readonly records: RecordStore;
  /** Closes both (after pending writes); idempotent. */
  close(): Promise<void>;
  /** The backend's own counters (SQLite: its worker's requests, drops, time), for `/mirror`. */
  stats?(): Readonly<Record<string, number>>;
}
