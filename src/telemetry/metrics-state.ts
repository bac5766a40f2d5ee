/**
 * Scrape-time families for the state the rest of Fieldlab already counts: the shadow dispatcher's
 * lanes, shadow pairs and skips, the compare pipeline, diff storage, upstream endpoints, the live
 * config and span export. Reading them costs nothing between scrapes; the request path is not involved.
 */
import type { PipelineStats } from '../compare/pipeline.js';
import type { ConfigManager } from '../config/manager.js';
import type { DiffBatcherStats } from '../storage/batcher.js';
import { endpointFamilies } from './endpoint-metrics.js';
import type { MetricFamily, Sample } from './prom-text.js';
import { shadowFamilies, type ShadowSources } from './shadow-metrics.js';
import type { SpanStats } from './span-stats.js';

/** Where the state comes from; every part is optional. */
export interface StateSources {
  /** The compare and storage counters (app.ts's `mirrorStats`). */
  readonly mirror?: () => { readonly compare: PipelineStats; readonly storage: DiffBatcherStats };
  /** Per route and shadow: dispatcher lanes, pairs and skips (declared shadows come from `config`). */
  readonly shadows?: Omit<ShadowSources, 'routes'>;
  /** The live config: its version and reload result, its upstream endpoints and declared shadows. */
  readonly config?: Pick<ConfigManager, 'current' | 'lastReload'>;
  /** Span export totals (`tracing.stats`), when tracing is on. */
  readonly tracing?: () => SpanStats;
  /** The traces receiver's families (traces/), when `traces:` is configured. */
  readonly traces?: () => readonly MetricFamily[];
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
    if (src.shadows) {
      const routes = src.config ? () => src.config!.current().routes : undefined;
      out.push(...shadowFamilies({ ...src.shadows, ...(routes ? { routes } : {}) }));
    }
    if (src.mirror) {
      const { compare: c, storage: s } = src.mirror();
      out.push(
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
        ...endpointFamilies(snap, Date.now()),
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
    if (src.traces) out.push(...src.traces());
    return out;
  };
}
