/** The app's metrics: every stage's scrape-time families, chained onto the request counters in one collect. */
import type { ConfigManager } from '../config/manager.js';
import type { ShadowDispatcher } from '../mirror/dispatcher.js';
import type { ComparePipeline } from '../compare/pipeline.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import { collectAppState } from '../telemetry/metrics-state.js';
import type { Tracing } from '../telemetry/tracing.js';
import type { Traces } from '../traces/traces.js';
import { withAudienceMetrics } from '../routing/audience-stats.js';
import { withForceMetrics } from '../routing/force-stats.js';
import { withFaultMetrics } from '../faults/fault-stats.js';
import { withRampMetrics } from '../faults/ramp-metrics.js';
import type { RampRuntime } from '../faults/ramp-runtime.js';
import type { WebhookNotifier } from '../guardrails/notify-webhook.js';
import { withWebhookMetrics } from '../guardrails/webhook-metrics.js';
import { withGuardrailMetrics } from '../guardrails/metrics.js';
import type { GuardrailsRuntime } from '../guardrails/runtime.js';
import type { ExperimentRecorder } from '../experiments/recorder.js';
import type { TapStats } from '../experiments/response-tap.js';
import { withExperimentMetrics } from '../experiments/metrics.js';
import type { BanditRuntime } from '../experiments/bandit.js';
import { withBanditMetrics } from '../experiments/bandit-metrics.js';
import { type RequestRecorder, withRecordMetrics } from '../record/recorder.js';
import type { MirrorStats } from './types.js';

/** The parts whose counters GET /metrics shows. */
export interface AppMetricsDeps {
  readonly mirror: () => MirrorStats;
  readonly dispatcher: Pick<ShadowDispatcher, 'lanes'>;
  readonly pipeline: Pick<ComparePipeline, 'pairCounts'>;
  readonly config: ConfigManager;
  readonly tracing: Pick<Tracing, 'stats'> | undefined;
  readonly traces: Pick<Traces, 'metrics'> | undefined;
  readonly notifier: Pick<WebhookNotifier, 'stats'>;
  readonly guardrails: GuardrailsRuntime;
  readonly experiments: Pick<ExperimentRecorder, 'byRoute'>;
  readonly responseTap: { stats(): TapStats };
  readonly bandits: BanditRuntime;
  readonly recorder: Pick<RequestRecorder, 'metrics'>;
  /** Read at every scrape: the ramp runtime whose numbers to show. */
  readonly ramps: () => Pick<RampRuntime, 'status'>;
}

/**
 * Creates the app's metrics, whose collect chains each stage's families after the app state's.
 * @example const metrics = createAppMetrics({ mirror, dispatcher, pipeline, config, ..., ramps: () => ramps })
 */
export function createAppMetrics(deps: AppMetricsDeps): Metrics {
  const { tracing, traces } = deps;
  return createMetrics({
    collect: withRampMetrics(
      withRecordMetrics(
        withBanditMetrics(
          withExperimentMetrics(
            withGuardrailMetrics(
              withWebhookMetrics(
                withForceMetrics(
                  withFaultMetrics(
                    withAudienceMetrics(
                      collectAppState({
                        mirror: deps.mirror,
                        shadows: { lanes: deps.dispatcher.lanes, pairs: deps.pipeline.pairCounts },
                        config: deps.config,
                        ...(tracing ? { tracing: tracing.stats } : {}),
                        ...(traces ? { traces: traces.metrics } : {}),
                      }),
                    ),
                  ),
                ),
                deps.notifier.stats,
              ),
              () => deps.guardrails,
            ),
            { current: deps.config.current, recorder: deps.experiments.byRoute, tap: deps.responseTap.stats },
          ),
          () => deps.bandits,
        ),
        deps.recorder.metrics,
      ),
      deps.ramps,
    ),
  });
}
