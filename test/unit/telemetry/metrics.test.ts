// The metrics observer on its own: per-arm series, status classes and codes, upstream errors,
// shadow outcomes, unknown shadow names folded into "other", and the collect callback.
import { describe, expect, it } from 'vitest';
import type { CompiledRoute } from '../../../src/routing/route.js';
import type { ExchangeInfo } from '../../../src/telemetry/hooks.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { collectAppState } from '../../../src/telemetry/metrics-state.js';
import { histogram, parseExposition, value } from './exposition.js';

const route = {
  name: 'checkout',
  arms: [
    { name: 'control', upstream: { name: 'shop-v1' } },
    { name: 'v2', upstream: { name: 'shop-v2' } },
  ],
  shadows: [{ name: 'shop-next' }],
  matcher: { path: { pattern: '/api/*' } },
} as unknown as CompiledRoute;

const info = (armIndex: number): ExchangeInfo => ({
  route,
  armIndex,
  arm: route.arms[armIndex]!.name,
  upstream: route.arms[armIndex]!.upstream.name,
  endpoint: 'http://127.0.0.1:1',
  forced: false,
  share: armIndex === 0 ? 0.9 : 0.1,
  requestId: 'r1',
  key: 'k',
  method: 'GET',
  target: '/api/x',
  headers: {},
  clientIp: '127.0.0.1',
  startedAt: performance.now(),
  startedAtEpoch: Date.now(),
});
const ok = (status: number, code?: string) => ({ status, code, bytes: 10, upstreamMs: 1 });
const captured = (status: number, latencyMs: number, error?: string) => ({
  status,
  error,
  headers: {},
  body: Buffer.alloc(0),
  truncated: false,
  bodyBytes: 0,
  latencyMs,
});

describe('metrics observer', () => {
  it('counts requests per route, arm, upstream, status class and code, with durations per arm', () => {
    const m = createMetrics({ process: false });
    m.observer.begin(info(0))!.end(ok(200), 4);
    m.observer.begin(info(0))!.end(ok(204), 30);
    m.observer.begin(info(1))!.end(ok(404), 2);
    m.observer.begin(info(1))!.end(ok(502, 'FL_UPSTREAM_CONNECT'), 1);
    m.observer.begin(info(1))!.end(ok(499, 'FL_CLIENT_ABORTED'), 1);
    const p = parseExposition(m.render());
    expect(
      value(p, 'fieldlab_requests_total', { route: 'checkout', arm: 'control', upstream: 'shop-v1', status_class: '2xx', code: '' }),
    ).toBe(2);
    expect(value(p, 'fieldlab_requests_total', { arm: 'v2', status_class: '4xx', code: '' })).toBe(1);
    expect(value(p, 'fieldlab_requests_total', { arm: 'v2', status_class: '5xx', code: 'FL_UPSTREAM_CONNECT' })).toBe(1);
    expect(value(p, 'fieldlab_requests_total', { arm: 'v2', status_class: '4xx', code: 'FL_CLIENT_ABORTED' })).toBe(1);
    // A client that went away is not an upstream error.
    expect(p.get('fieldlab_upstream_errors_total')!.samples).toEqual([
      {
        name: 'fieldlab_upstream_errors_total',
        labels: { route: 'checkout', arm: 'v2', upstream: 'shop-v2', code: 'FL_UPSTREAM_CONNECT' },
        value: 1,
      },
    ]);
    const control = histogram(p, 'fieldlab_request_duration_seconds', { route: 'checkout', arm: 'control' });
    expect(control.count).toBe(2);
    expect(control.sum).toBeCloseTo(0.034, 9);
    expect(control.buckets).toMatchObject({ '0.0025': 0, '0.005': 1, '0.025': 1, '0.05': 2, '+Inf': 2 });
    expect(histogram(p, 'fieldlab_request_duration_seconds', { arm: 'v2' }).count).toBe(3);
    m.close();
  });

  it('hands out one shared tracker per arm, so begin allocates nothing', () => {
    const m = createMetrics({ process: false });
    expect(m.observer.begin(info(1))).toBe(m.observer.begin(info(1)));
    expect(m.observer.begin(info(0))).not.toBe(m.observer.begin(info(1)));
  });

  it('counts shadow copies by outcome and times them, folding undeclared shadow names into "other"', () => {
    const m = createMetrics({ process: false });
    const t = m.observer.begin(info(0))!;
    t.shadow!('shop-next', 'shadow')!.end(captured(200, 12));
    t.shadow!('shop-next', 'shadow')!.end(captured(0, 5000, 'FL_UPSTREAM_TIMEOUT'));
    t.shadow!('shop-next', 'noise')!.end(captured(200, 8));
    t.shadow!('not-configured', 'shadow')!.end(captured(500, 3));
    const p = parseExposition(m.render());
    expect(value(p, 'fieldlab_shadow_requests_total', { shadow: 'shop-next', kind: 'shadow', outcome: '2xx' })).toBe(1);
    expect(value(p, 'fieldlab_shadow_requests_total', { shadow: 'shop-next', kind: 'shadow', outcome: 'FL_UPSTREAM_TIMEOUT' })).toBe(1);
    expect(value(p, 'fieldlab_shadow_requests_total', { shadow: 'shop-next', kind: 'noise', outcome: '2xx' })).toBe(1);
    expect(value(p, 'fieldlab_shadow_requests_total', { shadow: 'other', outcome: '5xx' })).toBe(1);
    const d = histogram(p, 'fieldlab_shadow_duration_seconds', { shadow: 'shop-next', kind: 'shadow' });
    expect(d.count).toBe(2);
    expect(d.sum).toBeCloseTo(5.012, 9);
    expect(d.buckets).toMatchObject({ '0.01': 0, '0.025': 1, '5': 2 });
  });

  it('renders collect callbacks and process metrics', () => {
    const stats = {
      dispatcher: { sent: 5, completed: 3, failed: 1, dropped: 2, truncated: 0, overBudget: 0, expired: 0, inFlight: 1, queued: 0 },
      compare: { queued: 0, compared: 3, dropped: 0, failed: 0 },
      storage: {
        flushes: 2,
        failures: 0,
        written: 40,
        dropped: { keys: 0, examples: 1, write: 0 },
        overflow: { endpoints: 0, fields: 0 },
        lastFlushMs: 1,
        lastError: undefined,
        pending: 0,
      },
    };
    const config = { current: () => ({ version: 3, loadedAt: new Date(1_700_000_000_000) }), lastReload: () => ({ ok: false }) } as never;
    const m = createMetrics({
      collect: collectAppState({ mirror: () => stats, config, tracing: () => ({ exported: 9, failed: 0, dropped: 1, queued: 2 }) }),
    });
    const p = parseExposition(m.render());
    expect(value(p, 'fieldlab_mirror_dropped_total')).toBe(2);
    expect(value(p, 'fieldlab_mirror_in_flight')).toBe(1);
    expect(value(p, 'fieldlab_compare_compared_total')).toBe(3);
    expect(value(p, 'fieldlab_storage_written_total')).toBe(40);
    expect(value(p, 'fieldlab_storage_dropped_total', { reason: 'examples' })).toBe(1);
    expect(value(p, 'fieldlab_config_version')).toBe(3);
    expect(value(p, 'fieldlab_config_last_reload_success')).toBe(0);
    expect(value(p, 'fieldlab_config_loaded_timestamp_seconds')).toBe(1_700_000_000);
    expect(value(p, 'fieldlab_tracing_spans_total', { result: 'dropped' })).toBe(1);
    expect(value(p, 'process_resident_memory_bytes')).toBeGreaterThan(1e6);
    expect(p.get('nodejs_eventloop_lag_p99_seconds')!.type).toBe('gauge');
    m.close();
  });
});
