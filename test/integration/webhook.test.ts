// Webhook delivery against a real loopback receiver: signed, retried with the same delivery id,
// bounded, and never retried for a receiver that rejects the message outright.
import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createWebhookNotifier } from '../../src/guardrails/notify-webhook.js';
import { startUpstream, type TestUpstream } from '../helpers/servers.js';

describe('webhook notifier', () => {
  let receiver: TestUpstream;
  const got: { body: string; headers: Record<string, string | string[] | undefined> }[] = [];
  let answers: number[] = [];
  beforeAll(async () => {
    receiver = await startUpstream('hook', (req, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        got.push({ body, headers: req.headers });
        res.statusCode = answers.shift() ?? 200;
        res.end();
      });
    });
  });
  afterAll(() => receiver.close());

  it('signs the body and retries a failing receiver with the same delivery id', async () => {
    got.length = 0;
    answers = [500, 503];
    const n = createWebhookNotifier({ backoffMs: () => 10 });
    n.notify({ url: `${receiver.url}/hook`, secret: 'shh', timeout: 2000, retries: 5 }, { type: 'decision', action: 'rollback' });
    await n.idle();
    expect(got).toHaveLength(3);
    expect(new Set(got.map((g) => g.headers['x-fieldlab-delivery'])).size).toBe(1);
    expect(got.map((g) => g.headers['x-fieldlab-attempt'])).toEqual(['1', '2', '3']);
    const body = got[2]!.body;
    expect(JSON.parse(body)).toEqual({ type: 'decision', action: 'rollback' });
    expect(got[2]!.headers['x-fieldlab-signature']).toBe(`sha256=${createHmac('sha256', 'shh').update(body).digest('hex')}`);
    expect(n.stats()).toMatchObject({ delivered: 1, retried: 2, failed: 0, dropped: 0 });
  });

  it('gives up after the configured retries and does not retry a 4xx rejection', async () => {
    got.length = 0;
    answers = [500, 500, 500, 400];
    const n = createWebhookNotifier({ backoffMs: () => 5 });
    n.notify({ url: receiver.url, timeout: 2000, retries: 2 }, { a: 1 });
    await n.idle();
    expect(got).toHaveLength(3);
    n.notify({ url: receiver.url, timeout: 2000, retries: 5 }, { b: 2 });
    await n.idle();
    expect(got).toHaveLength(4);
    expect(n.stats()).toMatchObject({ delivered: 0, failed: 2 });
  });

  it('drops and counts beyond its queue bound', async () => {
    answers = [];
    const n = createWebhookNotifier({ maxQueue: 2 });
    const accepted = Array.from({ length: 5 }, (_, i) => n.notify({ url: receiver.url, timeout: 2000, retries: 0 }, { i }));
    // The first message is taken off the queue at once; two more fit; the rest are dropped.
    expect(accepted.filter(Boolean)).toHaveLength(3);
    await n.idle();
    expect(n.stats()).toMatchObject({ delivered: 3, dropped: 2 });
  });

  it('a receiver that trickles its answer is cut at the deadline and never holds another receiver', async () => {
    got.length = 0;
    answers = [];
    // 200 at once, then a byte every 300 ms: undici's idle timeouts alone would never fire.
    const trickle = await startUpstream('trickle', (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const t = setInterval(() => res.write('.'), 300);
      res.on('close', () => clearInterval(t));
    });
    try {
      const n = createWebhookNotifier({ backoffMs: () => 10 });
      const started = Date.now();
      n.notify({ url: `${trickle.url}/slow`, timeout: 1000, retries: 1 }, { to: 'slow' });
      n.notify({ url: `${receiver.url}/fast`, timeout: 1000, retries: 0 }, { to: 'fast' });
      // The healthy receiver is served while the slow one is still being waited for.
      for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      expect(got.map((g) => JSON.parse(g.body))).toEqual([{ to: 'fast' }]);
      await n.idle();
      // The 200 counts as delivered; reading the answer is cut at the attempt's deadline instead of
      // lasting as long as the receiver trickles (it never stops).
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(n.stats()).toMatchObject({ delivered: 2, failed: 0, queued: 0 });
    } finally {
      await trickle.close();
    }
  });
});
