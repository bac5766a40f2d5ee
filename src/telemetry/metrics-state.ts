/**
 * Scrape-time families for the state the rest of Fieldlab already counts: the shadow dispatcher,
 * the compare pipeline, diff storage, the live config and span export. Reading them costs nothing
 * between scrapes; the request path is not involved.
 */
import type { PipelineStats } from '../compare/pipeline.js';
import type { ConfigManager } from '../config/manager.js';
import type { DispatcherStats } from '../mirror/dispatcher.js';
import type { DiffBatcherStats } from '../storage/batcher.js';
import type { MetricFamily, Sample } from './prom-text.js';
import type { SpanStats } from './span-stats.js';

/** Where the state comes from; every part is optional. */
export interface StateSources {
  /** The shadow path's counters (app.ts's `mirrorStats`). */
  readonly mirror?: () => { readonly dispatcher: DispatcherStats; readonly compare: PipelineStats; readonly storage: DiffBatcherStats };
  readonly config?: Pick<ConfigManager, 'current' | 'lastReload'>;
  /** Span export totals (`tracing.stats`), when tracing is on. */
  readonly tracing?: () => SpanStats;
}

const one = (value: number): Sample[] => [{ value }];
const counter = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: 'counter', samples });
const gauge = (name: string, help: string, samples: Sample[]): MetricFamily => ({ name, help, type: 'gauge', samples });

/**
 * A `collect` callback for createMetrics over the app's state.
 * @example createMetrics({ collect: collectAppState({ mirror: mirrorStats, config, tracing: tracing?.stats }) })
 */
export function collectAppState(src: StateSources): () => MetricFamily[] {
  return () => {
    const out: MetricFamily[] = [];
    if (src.mirror) {
      const { dispatcher: d, compare: c, storage: s } = src.mirror();
      out.push(
        gauge('fieldlab_mirror_in_flight', 'Shadow copies being sent now', one(d.inFlight)),
        gauge('fieldlab_mirror_queued', 'Shadow copies waiting for a concurrency slot', one(d.queued)),
        counter('fieldlab_mirror_sent_total', 'Shadow copies dispatched', one(d.sent)),
        counter('fieldlab_mirror_completed_total', 'Shadow copies that got a response', one(d.completed)),
        counter('fieldlab_mirror_failed_total', 'Shadow copies that failed (connect, timeout, reset)', one(d.failed)),
        counter('fieldlab_mirror_dropped_total', 'Shadow copies dropped because the shadow was saturated', one(d.dropped)),
        counter('fieldlab_mirror_truncated_total', 'Shadow exchanges aborted once the compare cap was read', one(d.truncated)),
        counter('fieldlab_mirror_over_budget_total', "Shadow copies not started or cut by the shadow's byte budget", one(d.overBudget)),
        counter('fieldlab_mirror_expired_total', 'Queued shadow copies dropped after waiting past their timeout', one(d.expired)),
        gauge('fieldlab_compare_queued', 'Pairs waiting to be compared', one(c.queued)),
        counter('fieldlab_compare_compared_total', 'Pairs compared', one(c.compared)),
        counter('fieldlab_compare_dropped_total', 'Pairs dropped because the compare queue was full', one(c.dropped)),
        counter('fieldlab_compare_failed_total', 'Pairs whose comparison threw', one(c.failed)),
        counter('fieldlab_storage_written_total', 'Shadow-diff rows written', one(s.written)),
        counter('fieldlab_storage_flushes_total', 'Successful storage batch writes', one(s.flushes)),
        counter('fieldlab_storage_write_failures_total', 'Failed storage batch writes (their batch is dropped)', one(s.failures)),
        counter(
          'fieldlab_storage_dropped_total',
          'Shadow-diff data dropped, by reason',
          Object.entries(s.dropped).map(([reason, value]) => ({ labels: { reason }, value })),
        ),
        gauge('fieldlab_storage_pending', 'Keys and examples waiting for the next flush', one(s.pending)),
      );
    }
    if (src.config) {
      const snap = src.config.current();
      const last = src.config.lastReload();
      out.push(
        gauge('fieldlab_config_version', 'Version of the live config (increments on every applied reload)', one(snap.version)),
        gauge(
          'fieldlab_config_loaded_timestamp_seconds',
          'When the live config was loaded, seconds since the Unix epoch',
          one(snap.loadedAt.getTime() / 1000),
        ),
        gauge(
          'fieldlab_config_last_reload_success',
          '1 when the last reload attempt succeeded (or none was made), 0 when it was rejected',
          one(last === undefined || last.ok ? 1 : 0),
        ),
      );
    }
    if (src.tracing) {
      const t = src.tracing();
      out.push(
        counter('fieldlab_tracing_spans_total', 'Finished spans by what became of them (dropped: the export queue was full)', [
          { labels: { result: 'exported' }, value: t.exported },
          { labels: { result: 'failed' }, value: t.failed },
          { labels: { result: 'dropped' }, value: t.dropped },
        ]),
        gauge('fieldlab_tracing_queued_spans', 'Spans waiting for the next export batch', one(t.queued)),
      );
    }
    return out;
  };
}
