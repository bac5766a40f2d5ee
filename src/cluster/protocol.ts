/**
 * The messages between the primary process and its workers (node:cluster's IPC channel with
 * `serialization: 'advanced'`, so Maps and typed values survive). Every message read from the
 * channel comes from another process and is checked here before anything acts on it; a malformed
 * one is dropped and counted, never thrown.
 *
 * Worker → primary: `ready` (listening), `evidence` (its completed guardrail seconds, once a
 * second), `metrics` (its rendered Prometheus text, once a second), `live` (its closed dashboard
 * seconds, just after each second ends), `traced` (its traced exchanges, trace-relay.ts), `ramp-evidence` (its fault ramps' evidence, once a second), `store` (a store call to run on the one SQLite writer). Primary → worker: `states` (the deciding engine's states: weights to apply
 * at once), `bandit` (the primary's bandit weights, checked by the worker's bandit runtime before it applies them),
 * `ramp` (the ramp step in force per route: the primary is the ramps' one judge), `reload` (config text the primary validated and applied), `drain`, `faults` (the kill switch), `store-reply`.
 */
import { isArmSecond, type ArmSecond } from '../guardrails/arm-second.js';
import type { EvidenceSecond } from '../fleet/evidence-log.js';
import { LATENCY_BOUNDS } from '../stats/histogram.js';
import type { ObservedResponse } from '../experiments/null-branch.js';
import type { Exemplar } from '../telemetry/exemplars.js';
import type { LiveSecond } from '../telemetry/live-series.js';
import { isRelayedNote, isRelayedPair, type RelayedNote, type RelayedPair } from './trace-items.js';
import { parseRampBatch, type RampBatch } from '../faults/ramp-relay.js';

/** Live seconds (or observed responses) in one message at most; a longer list is malformed. */
export const MAX_LIVE_SECONDS = 2048;

/** A worker's message. */
export type WorkerMessage =
  /** Its message handler is installed (a message sent before that is lost): the primary answers with `config`. */
  | { readonly t: 'hello' }
  /** Listening; `digest`: of the config it runs (the primary resends its own if they differ). */
  | { readonly t: 'ready'; readonly port: number; readonly digest: string }
  /** Could not start (sent before it exits 1): the primary's start fails with this code and message. */
  | { readonly t: 'failed'; readonly code: string; readonly message: string }
  | { readonly t: 'evidence'; readonly through: number; readonly seconds: readonly EvidenceSecond<ArmSecond>[] }
  | { readonly t: 'metrics'; readonly text: string }
  /** `dropped`: seconds this worker could not queue since its last message (its outbox was full). */
  | { readonly t: 'live'; readonly seconds: readonly LiveSecond[]; readonly dropped: number }
  /** Responses its null-branch check observed since the last message; `dropped` as for `live`. */
  | { readonly t: 'responses'; readonly items: readonly ObservedResponse[]; readonly dropped: number }
  /** Trace exemplars it kept since the last message (the dashboard's per-arm errors and slowest); `dropped` as for `live`. */
  | { readonly t: 'exemplars'; readonly items: readonly Exemplar[]; readonly dropped: number }
  /**
   * Its traced exchanges for the primary's span join and arm profiles (trace-relay.ts); `untraced`:
   * pairs without a sampled trace; `dropped`: items it could not queue or send since the last one.
   */
  | {
      readonly t: 'traced';
      readonly pairs: readonly RelayedPair[];
      readonly notes: readonly RelayedNote[];
      readonly untraced: number;
      readonly dropped: number;
    }
  /** Its running ramps' evidence since the last message (faults/ramp-relay.ts), one batch per route. */
  | { readonly t: 'ramp-evidence'; readonly batches: readonly RampBatch[] }
  /** `deadline` (epoch ms): after it the caller has given up, so the primary must not run it (it would be counted lost yet written). */
  | { readonly t: 'store'; readonly id: number; readonly op: string; readonly args: readonly unknown[]; readonly deadline: number };

/** The primary's message. */
export type PrimaryMessage =
  /** The answer to `hello`: the config text the primary runs (a worker never reads the file). */
  | { readonly t: 'config'; readonly text: string }
  | { readonly t: 'states'; readonly states: Readonly<Record<string, unknown>> }
  /** Route → BanditShared (bandit-lead.ts), validated per route on arrival. */
  | { readonly t: 'bandit'; readonly shared: Readonly<Record<string, unknown>> }
  /** Route → RampShared | null (faults/ramp-relay.ts): the step in force, validated per route on arrival. */
  | { readonly t: 'ramp'; readonly shared: Readonly<Record<string, unknown>> }
  | { readonly t: 'reload'; readonly text: string; readonly trigger: string }
  | { readonly t: 'drain' }
  /** The fault kill switch (`fieldlab faults off`): sent after `config` and on every switch, so a restarted worker starts with it. */
  | { readonly t: 'faults'; readonly enabled: boolean }
  | { readonly t: 'store-reply'; readonly id: number; readonly ok: true; readonly value: unknown }
  | { readonly t: 'store-reply'; readonly id: number; readonly ok: false; readonly error: string; readonly code?: string };

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const isInt = (x: unknown): x is number => typeof x === 'number' && Number.isSafeInteger(x) && x >= 0;

/** Whether `x` is one route's second whose every arm is a valid ArmSecond. */
function isEvidenceSecond(x: unknown): x is EvidenceSecond<ArmSecond> {
  return isObj(x) && typeof x.route === 'string' && isInt(x.sec) && isObj(x.arms) && Object.values(x.arms).every(isArmSecond);
}

/** Whether `x` is one observed response (the digest is optional). */
const nullOr = (v: unknown) => v === null || typeof v === 'string';

function isExemplar(x: unknown): x is Exemplar {
  return (
    isObj(x) &&
    typeof x.route === 'string' &&
    typeof x.arm === 'string' &&
    isInt(x.at) &&
    isInt(x.status) &&
    nullOr(x.code) &&
    typeof x.ms === 'number' &&
    Number.isFinite(x.ms) &&
    x.ms >= 0 &&
    typeof x.method === 'string' &&
    typeof x.path === 'string' &&
    nullOr(x.traceId) &&
    typeof x.bad === 'boolean'
  );
}

function isObserved(x: unknown): x is ObservedResponse {
  return (
    isObj(x) &&
    typeof x.route === 'string' &&
    typeof x.arm === 'string' &&
    typeof x.endpoint === 'string' &&
    isInt(x.status) &&
    isInt(x.bytes) &&
    typeof x.latencyMs === 'number' &&
    Number.isFinite(x.latencyMs) &&
    x.latencyMs >= 0 &&
    (x.digest === undefined || typeof x.digest === 'string')
  );
}

/** Whether `x` is a closed second with a sparse latency histogram of valid buckets. */
function isLiveSecond(x: unknown): x is LiveSecond {
  if (!isObj(x) || typeof x.route !== 'string' || typeof x.arm !== 'string') return false;
  if (!isInt(x.sec) || !isInt(x.requests) || !isInt(x.errors) || !Array.isArray(x.latency) || x.latency.length % 2 !== 0) return false;
  const l = x.latency as unknown[];
  for (let i = 0; i < l.length; i += 2) if (!isInt(l[i]) || (l[i] as number) > LATENCY_BOUNDS.length || !isInt(l[i + 1])) return false;
  return true;
}

/**
 * A worker's message, or undefined when `x` is not one (dropped and counted by the caller).
 * @example parseWorkerMessage({ t: 'ready', port: 8080 }) // { t: 'ready', port: 8080 }
 */
export function parseWorkerMessage(x: unknown): WorkerMessage | undefined {
  if (!isObj(x)) return undefined;
  switch (x.t) {
    case 'hello':
      return { t: 'hello' };
    case 'ready':
      return isInt(x.port) && typeof x.digest === 'string' ? { t: 'ready', port: x.port, digest: x.digest } : undefined;
    case 'failed':
      return typeof x.code === 'string' && typeof x.message === 'string' ? { t: 'failed', code: x.code, message: x.message } : undefined;
    case 'evidence':
      return isInt(x.through) && Array.isArray(x.seconds) && x.seconds.every(isEvidenceSecond)
        ? { t: 'evidence', through: x.through, seconds: x.seconds }
        : undefined;
    case 'metrics':
      return typeof x.text === 'string' ? { t: 'metrics', text: x.text } : undefined;
    case 'live':
      return Array.isArray(x.seconds) && x.seconds.length <= MAX_LIVE_SECONDS && isInt(x.dropped) && x.seconds.every(isLiveSecond)
        ? { t: 'live', seconds: x.seconds, dropped: x.dropped }
        : undefined;
    case 'responses':
      return Array.isArray(x.items) && x.items.length <= MAX_LIVE_SECONDS && isInt(x.dropped) && x.items.every(isObserved)
        ? { t: 'responses', items: x.items, dropped: x.dropped }
        : undefined;
    case 'exemplars':
      return Array.isArray(x.items) && x.items.length <= MAX_LIVE_SECONDS && isInt(x.dropped) && x.items.every(isExemplar)
        ? { t: 'exemplars', items: x.items, dropped: x.dropped }
        : undefined;
    case 'traced':
      return Array.isArray(x.pairs) &&
        x.pairs.length <= MAX_LIVE_SECONDS &&
        Array.isArray(x.notes) &&
        x.notes.length <= MAX_LIVE_SECONDS &&
        isInt(x.untraced) &&
        isInt(x.dropped) &&
        x.pairs.every(isRelayedPair) &&
        x.notes.every(isRelayedNote)
        ? { t: 'traced', pairs: x.pairs, notes: x.notes, untraced: x.untraced, dropped: x.dropped }
        : undefined;
    case 'ramp-evidence': {
      if (!Array.isArray(x.batches) || x.batches.length > MAX_LIVE_SECONDS) return undefined;
      const batches = x.batches.map(parseRampBatch);
      return batches.every((b) => b !== undefined) ? { t: 'ramp-evidence', batches: batches as RampBatch[] } : undefined;
    }
    case 'store':
      return isInt(x.id) && typeof x.op === 'string' && Array.isArray(x.args) && isInt(x.deadline)
        ? { t: 'store', id: x.id, op: x.op, args: x.args, deadline: x.deadline }
        : undefined;
    default:
      return undefined;
  }
}

/**
 * The primary's message, or undefined when `x` is not one.
 * @example parsePrimaryMessage({ t: 'drain' }) // { t: 'drain' }
 */
export function parsePrimaryMessage(x: unknown): PrimaryMessage | undefined {
  if (!isObj(x)) return undefined;
  switch (x.t) {
    case 'config':
      return typeof x.text === 'string' ? { t: 'config', text: x.text } : undefined;
    case 'states':
      return isObj(x.states) ? { t: 'states', states: x.states } : undefined;
    case 'bandit':
      return isObj(x.shared) ? { t: 'bandit', shared: x.shared } : undefined;
    case 'ramp':
      return isObj(x.shared) ? { t: 'ramp', shared: x.shared } : undefined;
    case 'reload':
      return typeof x.text === 'string' && typeof x.trigger === 'string' ? { t: 'reload', text: x.text, trigger: x.trigger } : undefined;
    case 'drain':
      return { t: 'drain' };
    case 'faults':
      return typeof x.enabled === 'boolean' ? { t: 'faults', enabled: x.enabled } : undefined;
    case 'store-reply':
      if (!isInt(x.id)) return undefined;
      if (x.ok === true) return { t: 'store-reply', id: x.id, ok: true, value: x.value };
      if (x.ok === false && typeof x.error === 'string')
        return { t: 'store-reply', id: x.id, ok: false, error: x.error, ...(typeof x.code === 'string' ? { code: x.code } : {}) };
      return undefined;
    default:
      return undefined;
  }
}
