/**
 * Webhook delivery for guardrail decisions: one JSON message per state change, signed, retried with
 * backoff, never on the request path. The queue is bounded; when full, messages are dropped and
 * counted (and still visible in the decision log and on `fieldlab status`). Bodies are serialized
 * here, once, for every sender (runtime and fleet): numbers rounded, times ISO (net/json-safe.ts),
 * then shaped for the receiver (webhook-format.ts).
 */
import { createHmac, randomUUID } from 'node:crypto';
import { request } from 'undici';
import { toJsonSafe } from '../net/json-safe.js';
import { webhookBody, type WebhookFormat } from './webhook-format.js';

/** Where and how to deliver (the route's `guardrails.webhook`). */
export interface WebhookTarget {
  readonly url: string;
  readonly secret?: string | undefined;
  readonly timeout: number;
  readonly retries: number;
  /** Body shape: Fieldlab's JSON (default), Slack or Teams. */
  readonly format?: WebhookFormat | undefined;
  /** Where messages link to (`{route}` is replaced); default: the admin API's `/status?route=`. */
  readonly dashboardUrl?: string | undefined;
}

/** Delivery counters. */
export interface WebhookStats {
  delivered: number;
  failed: number;
  retried: number;
  dropped: number;
  queued: number;
}

/** The notifier. */
export interface WebhookNotifier {
  /** Queues one message; returns false (and counts a drop) when the queue is full. */
  notify(target: WebhookTarget, payload: unknown): boolean;
  stats(): WebhookStats;
  /** Resolves when nothing is queued or in flight (tests, shutdown). */
  idle(): Promise<void>;
  /** Stops retrying; pending messages are dropped. */
  stop(): void;
}

interface Job {
  readonly target: WebhookTarget;
  readonly body: string;
  /** Same on every attempt, so receivers can de-duplicate retries. */
  readonly delivery: string;
  attempt: number;
}

/**
 * Creates a notifier. `backoffMs(attempt)` defaults to 1 s, 2 s, 4 s … capped at 30 s.
 * @example notifier.notify(route.guardrails.webhook, { type: 'decision', decision })
 */
export function createWebhookNotifier(
  opts: {
    maxQueue?: number;
    backoffMs?: (attempt: number) => number;
    onError?: (err: unknown, job: { url: string; attempt: number }) => void;
    /** The admin API's base URL, for the default link (read when a message is queued). */
    adminUrl?: () => string | undefined;
  } = {},
): WebhookNotifier {
  const maxQueue = opts.maxQueue ?? 100;
  const backoff = opts.backoffMs ?? ((a: number) => Math.min(1000 * 2 ** (a - 1), 30_000));
  const stats: WebhookStats = { delivered: 0, failed: 0, retried: 0, dropped: 0, queued: 0 };
  // One lane per receiver URL: a receiver that answers slowly (or trickles its body) holds only its
  // own messages, never another route's Slack channel. `queued` counts across lanes (maxQueue).
  const lanes = new Map<string, { queue: Job[]; busy: boolean }>();
  const timers = new Set<NodeJS.Timeout>();
  let stopped = false;
  let waiters: (() => void)[] = [];

  const recount = () => {
    let n = 0;
    for (const l of lanes.values()) n += l.queue.length;
    stats.queued = n;
  };
  const settleIdle = () => {
    if (timers.size > 0) return;
    for (const l of lanes.values()) if (l.busy || l.queue.length > 0) return;
    const w = waiters;
    waiters = [];
    w.forEach((f) => f());
  };
  const enqueue = (job: Job) => {
    let lane = lanes.get(job.target.url);
    if (!lane) lanes.set(job.target.url, (lane = { queue: [], busy: false }));
    lane.queue.push(job);
    recount();
    void pump(job.target.url, lane);
  };

  const pump = async (url: string, lane: { queue: Job[]; busy: boolean }) => {
    if (lane.busy || stopped) return;
    lane.busy = true;
    while (lane.queue.length > 0 && !stopped) {
      const job = lane.queue.shift()!;
      recount();
      job.attempt++;
      const ok = await send(job).catch((err: unknown) => {
        opts.onError?.(err, { url: job.target.url, attempt: job.attempt });
        return false;
      });
      if (ok) stats.delivered++;
      else if (job.attempt <= job.target.retries && !stopped) {
        stats.retried++;
        const t = setTimeout(() => {
          timers.delete(t);
          enqueue(job);
        }, backoff(job.attempt));
        t.unref();
        timers.add(t);
      } else stats.failed++;
    }
    lane.busy = false;
    if (lane.queue.length === 0 && lanes.get(url) === lane) lanes.delete(url); // a reload may drop the URL
    settleIdle();
  };

  return {
    notify(target, payload) {
      if (stopped || stats.queued >= maxQueue) {
        stats.dropped++;
        return false;
      }
      const safe = toJsonSafe(payload);
      const body = webhookBody(target.format ?? 'json', safe, linkFor(target, safe, opts.adminUrl));
      enqueue({ target, body, delivery: randomUUID(), attempt: 0 });
      return true;
    },
    stats: () => ({ ...stats }),
    idle: () =>
      new Promise<void>((resolve) => {
        waiters.push(resolve);
        settleIdle();
      }),
    stop() {
      stopped = true;
      for (const t of timers) clearTimeout(t);
      timers.clear();
      for (const l of lanes.values()) {
        stats.dropped += l.queue.length;
        l.queue.length = 0;
      }
      recount();
      settleIdle();
    },
  };
}

/** The link a message carries: the configured dashboard (with `{route}`), else the admin status. */
function linkFor(target: WebhookTarget, payload: unknown, adminUrl: (() => string | undefined) | undefined): string | undefined {
  const route = encodeURIComponent(String((payload as { route?: unknown } | null)?.route ?? ''));
  if (target.dashboardUrl) return target.dashboardUrl.replaceAll('{route}', route);
  let base: string | undefined;
  try {
    base = adminUrl?.();
  } catch {
    // A link is never worth a lost message (e.g. a decision at startup, before the admin exists).
  }
  return base ? `${base}/status${route ? `?route=${route}` : ''}` : undefined;
}

/** One attempt: 2xx is delivered; 5xx, 408, 429 and network errors retry; other 4xx give up. */
async function send(job: Job): Promise<boolean> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': 'fieldlab-webhook',
    'x-fieldlab-delivery': job.delivery,
    'x-fieldlab-attempt': String(job.attempt),
  };
  if (job.target.secret)
    headers['x-fieldlab-signature'] = `sha256=${createHmac('sha256', job.target.secret).update(job.body).digest('hex')}`;
  // `timeout` bounds the whole attempt, answer body included: undici's own timeouts are idle gaps,
  // which a receiver sending a byte every few seconds never trips.
  const res = await request(job.target.url, {
    method: 'POST',
    headers,
    body: job.body,
    headersTimeout: job.target.timeout,
    bodyTimeout: job.target.timeout,
    signal: AbortSignal.timeout(job.target.timeout),
  });
  await res.body.dump({ limit: 64 * 1024 });
  if (res.statusCode >= 200 && res.statusCode < 300) return true;
  if (res.statusCode >= 500 || res.statusCode === 408 || res.statusCode === 429) return false;
  // A receiver that rejects the message outright won't accept it on retry either.
  job.attempt = Number.POSITIVE_INFINITY;
  return false;
}
