/**
 * Scrape-time metric families of webhook delivery, so a receiver that stopped accepting (or stalls)
 * is alertable instead of silent: attempts by outcome and messages waiting.
 */
import type { MetricFamily } from '../telemetry/prom-text.js';
import type { WebhookStats } from './notify-webhook.js';

/**
 * Adds the webhook families to a collector.
 * @example createMetrics({ collect: withWebhookMetrics(collect, notifier.stats) })
 */
export function withWebhookMetrics(collect: () => MetricFamily[], stats: () => WebhookStats): () => MetricFamily[] {
  return () => {
    const s = stats();
    return [
      ...collect(),
      {
        name: 'fieldlab_webhook_messages_total',
        help: 'Webhook messages by outcome: delivered, failed (gave up after retries or a 4xx), dropped (queue full or shutdown); retried counts attempts that will be retried',
        type: 'counter',
        samples: (['delivered', 'failed', 'dropped', 'retried'] as const).map((result) => ({ labels: { result }, value: s[result] })),
      },
      {
        name: 'fieldlab_webhook_queued',
        help: 'Webhook messages waiting to be sent',
        type: 'gauge',
        samples: [{ labels: {}, value: s.queued }],
      },
    ];
  };
}
