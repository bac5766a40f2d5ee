// Webhook delivery is visible in Prometheus: outcomes and the queue, from the notifier's counters.
import { describe, expect, it } from 'vitest';
import { withWebhookMetrics } from '../../../src/guardrails/webhook-metrics.js';

describe('webhook metrics', () => {
  it('adds outcome counters and the queue gauge to a collector', () => {
    const collect = withWebhookMetrics(
      () => [],
      () => ({ delivered: 3, failed: 1, retried: 2, dropped: 4, queued: 5 }),
    );
    const [messages, queued] = collect();
    expect(messages).toMatchObject({ name: 'fieldlab_webhook_messages_total', type: 'counter' });
    expect(Object.fromEntries(messages!.samples.map((s) => [s.labels?.result, s.value]))).toEqual({
      delivered: 3,
      failed: 1,
      dropped: 4,
      retried: 2,
    });
    expect(queued).toMatchObject({ name: 'fieldlab_webhook_queued', samples: [{ value: 5 }] });
  });
});
