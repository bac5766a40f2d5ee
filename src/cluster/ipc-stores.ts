/**
 * The store of a worker on SQLite: every call runs in the primary, the one writer of the file
 * (SQLite allows one writer at a time; one process owning it keeps batches from ever racing or
 * waiting on another process's lock). Writes that add up — shadow-diff batches, minute rollups —
 * are forwarded and summed there, so nothing is lost or counted twice. What the primary alone
 * decides — engine state, the decision log, retention — is not written from a worker at all.
 */
import type { DecisionFilter, GuardrailStore, MinuteFilter, MinuteRow, DecisionRecord } from '../storage/guardrail-types.js';
import type { DiffBatch, DiffExample, DiffFilter, DiffRows, DiffStore, ExampleFilter, ReportQuery, Stores } from '../storage/types.js';
import type { DiffReport } from '../compare/report.js';
import type {
  ExperimentBatch,
  ExperimentStore,
  ExperimentSums,
  MinutePage,
  MinutePageQuery,
  UnitPage,
  UnitPageQuery,
} from '../storage/experiment-types.js';
import type {
  RecordCaps,
  RecordedSample,
  RecordOutcome,
  RecordQuery,
  RecordStore,
  RecordUsage,
  StoredSample,
} from '../storage/record-types.js';
import type { RpcClient } from './rpc.js';

/**
 * @example const stores = createIpcStores(rpc); await stores.diffs.write(batch) // written by the primary
 */
export function createIpcStores(rpc: RpcClient): Stores {
  const call = <T>(op: string, ...args: unknown[]) => rpc.call(op, args) as Promise<T>;
  const diffs: DiffStore = {
    write: (batch) => call<void>('diffs.write', batch),
    rows: (filter) => call<DiffRows>('diffs.rows', filter),
    examples: (filter) => call<DiffExample[]>('diffs.examples', filter),
    report: (query) => call<DiffReport>('diffs.report', query),
    // Retention runs once, in the primary.
    prune: async () => 0,
    close: async () => undefined,
  };
  const guardrails: GuardrailStore = {
    // The primary's engines decide and store their state and decisions; a worker's only mirror them.
    saveState: async () => undefined,
    loadStates: () => call<Map<string, unknown>>('guardrails.loadStates'),
    deleteState: async () => undefined,
    appendDecision: async () => undefined,
    decisions: (filter) => call<DecisionRecord[]>('guardrails.decisions', filter),
    writeMinutes: (rows) => call<void>('guardrails.writeMinutes', rows),
    minutes: (filter) => call<MinuteRow[]>('guardrails.minutes', filter),
    prune: async () => 0,
    claimSeeds: (proposals, at) => call<Record<string, string>>('guardrails.claimSeeds', proposals, at),
  };
  // Experiment exposures and goal events add up in the primary's store, like rollups.
  const experiments: ExperimentStore = {
    writeExperiments: (batch) => call<void>('experiments.writeExperiments', batch),
    experimentSums: (route, windowMs) => call<ExperimentSums>('experiments.experimentSums', route, windowMs),
    pruneExperiments: async () => 0,
    exportUnits: (q) => call<UnitPage>('experiments.exportUnits', q),
    exportMinutes: (q) => call<MinutePage>('experiments.exportMinutes', q),
  };
  // Recorded samples go to the primary's file (caps are checked there, across every worker).
  const records: RecordStore = {
    writeRecords: (samples, caps) => call<RecordOutcome[]>('records.writeRecords', samples, caps),
    readRecords: (q) => call<StoredSample[]>('records.readRecords', q),
    countRecords: (q) => call<number>('records.countRecords', q),
    recordUsage: () => call<RecordUsage[]>('records.recordUsage'),
    pruneRecords: async () => 0,
  };
  return {
    diffs,
    guardrails,
    experiments,
    records,
    // Pending calls finish (each bounded by the call timeout); the file itself stays the primary's.
    close: () => rpc.idle(),
    stats: () => {
      const s = rpc.stats();
      return { ipcWaiting: s.waiting, ipcDropped: s.dropped, ipcTimedOut: s.timedOut };
    },
  };
}

type Op = (stores: Stores, args: readonly unknown[]) => Promise<unknown>;

/**
 * The calls a worker may make, and how the primary runs them. Arguments come from a worker of the
 * same program (the same code built them), so they are passed on as they are; an unknown op is refused.
 */
const OPS: Readonly<Record<string, Op>> = {
  'diffs.write': (s, [batch]) => s.diffs.write(batch as DiffBatch),
  'diffs.rows': (s, [filter]) => s.diffs.rows(filter as DiffFilter),
  'diffs.examples': (s, [filter]) => s.diffs.examples(filter as ExampleFilter),
  'diffs.report': (s, [query]) => s.diffs.report(query as ReportQuery),
  'guardrails.decisions': (s, [filter]) => s.guardrails.decisions(filter as DecisionFilter),
  'guardrails.writeMinutes': (s, [rows]) => s.guardrails.writeMinutes(rows as MinuteRow[]),
  'guardrails.minutes': (s, [filter]) => s.guardrails.minutes(filter as MinuteFilter),
  'guardrails.claimSeeds': (s, [proposals, at]) => s.guardrails.claimSeeds(proposals as Record<string, string>, at as number),
  'experiments.writeExperiments': (s, [batch]) => s.experiments.writeExperiments(batch as ExperimentBatch),
  'experiments.experimentSums': (s, [route, windowMs]) => s.experiments.experimentSums(route as string, windowMs as number),
  'experiments.exportUnits': (s, [q]) => s.experiments.exportUnits(q as UnitPageQuery),
  'experiments.exportMinutes': (s, [q]) => s.experiments.exportMinutes(q as MinutePageQuery),
  'records.writeRecords': (s, [samples, caps]) => s.records.writeRecords(samples as RecordedSample[], caps as RecordCaps),
  'records.readRecords': (s, [q]) => s.records.readRecords(q as RecordQuery),
  'records.countRecords': (s, [q]) => s.records.countRecords(q as RecordQuery),
  'records.recordUsage': (s) => s.records.recordUsage(),
};

/**
 * Runs one worker's store call in the primary. `loadStates` answers with the deciding engines' live
 * states over the stored ones, so a worker (re)started between two saves starts from the newest.
 * @example const value = await runStoreCall(stores, 'diffs.write', [batch], () => liveStates())
 */
export async function runStoreCall(
  stores: Stores,
  op: string,
  args: readonly unknown[],
  live: () => ReadonlyMap<string, unknown>,
): Promise<unknown> {
  if (op === 'guardrails.loadStates') {
    const states = await stores.guardrails.loadStates();
    for (const [route, state] of live()) states.set(route, state);
    return states;
  }
  const run = OPS[op];
  if (!run) throw new Error(`unknown store call "${op}"`);
  return run(stores, args);
}
