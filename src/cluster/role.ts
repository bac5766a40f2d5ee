/**
 * How a process of a `workers: N` group differs from a lone Fieldlab, as the few hooks app.ts
 * offers: the primary serves the admin API and no traffic; a worker serves traffic and no admin
 * API, and with SQLite it reaches the store through the primary. Without a role (workers: 1) the
 * app runs exactly as it always has.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { ConfigManager } from '../config/manager.js';
import type { BanditRuntime } from '../experiments/bandit.js';
import type { RampRuntime } from '../faults/ramp-runtime.js';
import type { NullBranchCollector } from '../experiments/null-branch.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import type { Stores } from '../storage/types.js';
import type { ExchangeObserver } from '../telemetry/hooks.js';
import type { ExemplarKeeper } from '../telemetry/exemplars.js';
import type { LiveSeries } from '../telemetry/live-series.js';
import type { Logger } from '../telemetry/logger.js';
import type { Traces } from '../traces/traces.js';
import type { TraceRelay } from './trace-relay.js';

/** An admin API handler (admin/server.ts). */
export type AdminHandler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** What a role sees of the app once its parts exist. */
export interface RoleParts {
  readonly config: ConfigManager;
  readonly runtime: GuardrailsRuntime;
  readonly stores: Stores;
  /** True with a postgres:// store: every process is a fleet replica, the fleet shares evidence. */
  readonly fleet: boolean;
  readonly log: Logger;
  /** The dashboard's per-second series: a worker exports its seconds, the primary absorbs them. */
  readonly live: LiveSeries;
  /** The dashboard's trace exemplars: a worker exports those it keeps, the primary offers them to its own keeper. */
  readonly exemplars: ExemplarKeeper;
  /** The experiments' null-branch check: a worker exports its observed responses, the primary observes them. */
  readonly nullBranch: NullBranchCollector;
  /** The bandits: on SQLite the primary's decide and its workers adopt what it sends. */
  readonly bandits: BanditRuntime;
  /** The group's one OTLP receiver, span join and arm profiles (the primary, with `traces:`). */
  readonly traces?: Traces | undefined;
  /** The fault ramps: on SQLite the primary judges on its workers' relayed evidence and they follow its step. */
  readonly ramps: RampRuntime;
  /** This process's own metrics text. */
  render(): string;
}

/** What the app uses in place of its own parts. */
export interface RoleHooks {
  /** Replaces the guardrails observer (a worker on SQLite: collect seconds for the primary). */
  readonly observer?: ExchangeObserver;
  /** Where traced pairs and sampled arm requests go instead of a local join (a worker, with `traces:`). */
  readonly traceRelay?: Pick<TraceRelay, 'tap' | 'note'>;
  /** The runtime the admin API acts on (the primary: manual decisions reach every worker). */
  readonly runtime?: GuardrailsRuntime;
  /** What GET /metrics renders (the primary: every process of the group). */
  readonly render?: () => string;
  /** More admin routes (GET /workers). */
  readonly routes?: Readonly<Record<string, AdminHandler>>;
  /** Awaited before the app counts as started; a rejection fails the start (the primary: every worker listening). */
  readonly started?: Promise<void>;
  /** False while the group cannot serve (no worker ready yet). */
  readonly ready?: () => boolean;
  /** Partial failures for /readyz (a worker crash-looping). */
  readonly degraded?: () => string[];
  /** The fault kill switch was flipped here (the primary: tell every worker); what it returns is in the answer. */
  readonly faultsSwitched?: (on: boolean) => { told: number; of: number };
  /** Called by app.stop once requests have drained (a worker: its last evidence goes out). */
  stop(): Promise<void>;
}

/** A process's part in the group. */
export interface ProcessRole {
  /** The config text to start from instead of reading the file (a worker: the primary's live config). */
  readonly configText?: string;
  /** Fields on every log line (a worker's index and pid). */
  readonly logBindings?: Readonly<Record<string, unknown>>;
  /** false: no proxy listener (the primary: its workers serve the port). */
  readonly proxy: boolean;
  /** false: no admin and no metrics listener (a worker: the primary answers for the group). */
  readonly admin: boolean;
  /** Opens the stores in place of `store.url` (a worker on SQLite: the primary's, over IPC). */
  openStores?(url: string): Promise<Stores> | undefined;
  /** Binds the proxy listener (reusePort: every worker binds the shared port itself). */
  listenProxy?(server: Server, host: string, port: number): Promise<void>;
  /** Wires the process into the group; called once, before any listener binds. */
  join(parts: RoleParts): RoleHooks;
}
