/** The running app startApp hands back: its ports, counters and flushes, and the order it stops in. */
import type { Server } from 'node:http';
import { raceDeadline, SHUTDOWN_GRACE_MS } from '../async/deadline.js';
import type { ProcessRole, RoleHooks } from '../cluster/role.js';
import type { ComparePipeline } from '../compare/pipeline.js';
import type { ConfigManager } from '../config/manager.js';
import type { BanditRuntime } from '../experiments/bandit.js';
import type { ExperimentRecorder } from '../experiments/recorder.js';
import type { RampRuntime } from '../faults/ramp-runtime.js';
import type { FleetMember } from '../fleet/join.js';
import type { PoolRegistry } from '../forward/pools.js';
import { forwardStats } from '../forward/stats.js';
import type { WebhookNotifier } from '../guardrails/notify-webhook.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import type { Drain } from '../ingress/drain.js';
import { boundPort } from '../net/listen.js';
import type { RequestRecorder } from '../record/recorder.js';
import type { DiffBatcher } from '../storage/batcher.js';
import type { Retention } from '../storage/retention.js';
import type { Stores } from '../storage/types.js';
import type { EventHub } from '../admin/dashboard-events.js';
import type { ObserverGuard } from '../telemetry/hooks.js';
import type { Logger } from '../telemetry/logger.js';
import type { Metrics } from '../telemetry/metrics.js';
import type { MinuteRollup } from '../telemetry/minute-rollup.js';
import type { Tracing } from '../telemetry/tracing.js';
import type { Traces } from '../traces/traces.js';
import type { App, MirrorStats } from './types.js';

/** Every part the running app reads or stops. */
export interface AppParts {
  readonly config: ConfigManager;
  readonly log: Logger;
  readonly role: ProcessRole | undefined;
  readonly pools: PoolRegistry;
  readonly shadowPools: PoolRegistry;
  readonly proxy: Server;
  readonly drain: Drain;
  readonly admin: Server;
  readonly metricsListener: Server | undefined;
  readonly dashboard: { readonly hub: EventHub };
  readonly observerGuard: ObserverGuard;
  readonly mirrorStats: () => MirrorStats;
  readonly stores: Stores;
  readonly pipeline: ComparePipeline;
  readonly batcher: DiffBatcher;
  readonly retention: Retention;
  readonly recorder: RequestRecorder;
  readonly tracing: Tracing | undefined;
  readonly traces: Traces | undefined;
  readonly notifier: WebhookNotifier;
  readonly guardrails: GuardrailsRuntime;
  readonly ramps: RampRuntime;
  readonly member: FleetMember | undefined;
  readonly experiments: ExperimentRecorder;
  readonly bandits: BanditRuntime;
  readonly rollup: MinuteRollup;
  readonly metrics: Metrics;
  readonly hooks: RoleHooks | undefined;
}

/** What startApp and the running app share: readiness fails once draining; the watch starts after listening. */
export interface AppLife {
  draining: boolean;
  stopWatch: () => void;
}

/**
 * The App over its parts; `stop` sets `life.draining` and stops the parts in order.
 * @example const app = runningApp({ config, log, proxy, admin, ... }, life)
 */
export function runningApp(parts: AppParts, life: AppLife): App {
  const { config, log, role, proxy, admin, metricsListener, stores, pipeline, batcher, tracing, traces } = parts;
  const { guardrails, ramps, member, experiments, bandits, recorder, rollup, notifier, hooks } = parts;
  return {
    config,
    log,
    proxyPort: () => boundPort(proxy),
    adminPort: () => boundPort(admin),
    metricsPort: () => (metricsListener?.listening ? boundPort(metricsListener) : undefined),
    reload: (trigger = 'api') => config.reload(trigger),
    mirrorStats: parts.mirrorStats,
    observerFailures: () => parts.observerGuard.stats(),
    forwardStats: () => ({ ...forwardStats }),
    diffs: () => stores.diffs,
    async flushDiffs() {
      await pipeline.idle();
      await batcher.flush();
    },
    flushRollups: (all = true) => rollup.flush(all),
    flushExperiments: () => experiments.flush(),
    recorder: () => recorder,
    guardrails: () => guardrails,
    bandits: () => bandits,
    ramps: () => ramps,
    tracing: () => tracing,
    traces: () => traces,
    tracesPort: () => (traces?.server.listening ? boundPort(traces.server) : undefined),
    async stop(deadlineMs = config.current().config.drainTimeout, delayMs = config.current().config.drainDelay) {
      if (life.draining) return;
      life.draining = true;
      config.close();
      life.stopWatch();
      // The primary of a group has no listener to keep open: its workers wait out drainDelay.
      const how = await parts.drain.drain(deadlineMs, role?.proxy === false ? 0 : delayMs);
      await Promise.all([parts.pools.closeAll(how === 'deadline'), parts.shadowPools.closeAll(true)]);
      // Pairs already captured are compared and stored before the process goes away.
      await raceDeadline(pipeline.idle(), SHUTDOWN_GRACE_MS);
      parts.retention.stop();
      // Before the fleet hands its leases over: no bandit check may take one again.
      bandits.stop();
      await member?.stop();
      await hooks?.stop();
      guardrails.stop();
      ramps.stop();
      await raceDeadline(ramps.idle(), SHUTDOWN_GRACE_MS);
      await raceDeadline(notifier.idle(), SHUTDOWN_GRACE_MS);
      notifier.stop();
      await rollup.stop();
      await experiments.stop();
      await recorder.stop();
      parts.metrics.close();
      if (tracing) await raceDeadline(tracing.shutdown(), SHUTDOWN_GRACE_MS);
      if (traces) {
        traces.server.close();
        traces.server.closeAllConnections();
        await raceDeadline(traces.stop(), SHUTDOWN_GRACE_MS);
      }
      await batcher.stop();
      // Admin goes before the store: a late admin request must not find a closed database.
      parts.dashboard.hub.close();
      await new Promise<void>((resolve) => {
        admin.close(() => resolve());
        admin.closeAllConnections();
      });
      if (metricsListener) {
        await new Promise<void>((resolve) => {
          metricsListener.close(() => resolve());
          metricsListener.closeAllConnections();
        });
      }
      // After the admin and every writer: pending store requests finish, then the file closes.
      await stores.close();
      log.info('stopped');
      log.flush();
    },
  };
}
