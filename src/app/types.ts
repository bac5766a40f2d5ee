/** What startApp takes and what it gives back: the app's options, the running app and its mirror counters. */
import type { ConfigManager, ReloadResult } from '../config/manager.js';
import type { ForwardStats } from '../forward/stats.js';
import type { DispatcherStats } from '../mirror/dispatcher.js';
import type { PairTap } from '../mirror/sink-tap.js';
import type { PipelineStats } from '../compare/pipeline.js';
import type { DiffBatcherStats } from '../storage/batcher.js';
import type { DiffStore } from '../storage/types.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import type { BanditRuntime } from '../experiments/bandit.js';
import type { RampRuntime } from '../faults/ramp-runtime.js';
import type { RequestRecorder } from '../record/recorder.js';
import type { Tracing } from '../telemetry/tracing.js';
import type { Traces, TracesStats } from '../traces/traces.js';
import type { ExchangeObserver } from '../telemetry/hooks.js';
import type { Logger } from '../telemetry/logger.js';
import type { ProcessRole } from '../cluster/role.js';

/** Counters of the shadow path: dispatch, compare and storage. */
export interface MirrorStats {
  readonly dispatcher: DispatcherStats;
  readonly compare: PipelineStats;
  readonly storage: DiffBatcherStats;
  /** The store backend's own counters (SQLite: its worker thread's requests, drops and time). */
  readonly store: Readonly<Record<string, number>>;
  /** The traces receiver and span join (only with `traces:`). */
  readonly traces?: TracesStats;
}

/** How to build an app. */
export interface AppOptions {
  readonly configFile: string;
  readonly env?: Record<string, string | undefined>;
  /** Defaults to a JSON logger on stdout at the config's level. */
  readonly logger?: Logger;
  /** Watch the file for changes (default true). */
  readonly watch?: boolean;
  /** Extra exchange observers (custom exporters, tests), called before the built-in ones. */
  readonly observers?: readonly ExchangeObserver[];
  /** Sees every shadow pair and skip on its way into the compare pipeline (embedders, tests). */
  readonly pairTap?: PairTap;
  /** This process's part in a `workers: N` group (cluster/); undefined: a lone Fieldlab. */
  readonly role?: ProcessRole;
}

/** A running Fieldlab. */
export interface App {
  readonly config: ConfigManager;
  readonly log: Logger;
  /** Bound proxy port (useful with `listen: 127.0.0.1:0`). */
  proxyPort(): number;
  adminPort(): number;
  reload(trigger?: string): Promise<ReloadResult>;
  /** Observer failures so far, per observer (tracing, metrics, guardrails, rollups). */
  observerFailures(): Readonly<Record<string, number>>;
  /** Slow-client and queue protections so far: cuts, 503s, retries (process-wide counters). */
  forwardStats(): Readonly<ForwardStats>;
  /** Mirror pipeline counters (also on GET /mirror). */
  mirrorStats(): MirrorStats;
  /** The shadow-diff store (reports read it). */
  diffs(): DiffStore;
  /** Writes pending shadow-diff aggregates now (tests, CLI). */
  flushDiffs(): Promise<void>;
  /** The guardrails runtime (tests drive `tick`; the CLI uses the admin API). */
  guardrails(): GuardrailsRuntime;
  /** The bandit runtime (`allocation: bandit`; tests drive `tick`). */
  bandits(): BanditRuntime;
  /** The fault ramps (`fault.ramp`; tests drive `tick`). */
  ramps(): RampRuntime;
  /** The tracer configured by `tracing:` (undefined without one). */
  tracing(): Tracing | undefined;
  /** The OTLP receiver and span-tree join configured by `traces:` (undefined without one). */
  traces(): Traces | undefined;
  /** The traces receiver's port, when `traces.listen` is configured. */
  tracesPort(): number | undefined;
  /** Writes per-minute arm rollups now (all minutes, including the current one, by default). */
  flushRollups(all?: boolean): Promise<void>;
  /** Writes pending experiment exposures and goal events now (tests, CLI). */
  flushExperiments(): Promise<void>;
  /** The request recorder (`record:`): flush and counters for tests. */
  recorder(): RequestRecorder;
  /** The metrics listener's port, when `metrics.listen` is configured. */
  metricsPort(): number | undefined;
  /**
   * Graceful stop: readiness fails at once; new connections are still accepted for `delayMs`
   * (drainDelay), then refused while in-flight requests finish up to `deadlineMs` (drainTimeout).
   */
  stop(deadlineMs?: number, delayMs?: number): Promise<void>;
}
