// The metrics observer on its own: per-arm series, status classes, HTTP status codes and FL_ codes,
// upstream errors, shadow outcomes, unknown shadow names folded into "other", build info, the
// collect callback, and event-loop delay windows closed by a timer, not by scrapes.
import { describe, expect, it } from 'vitest';
import type { CompiledRoute } from '../../../src/routing/route.js';
import type { ExchangeInfo } from '../../../src/telemetry/hooks.js';
import { createMetrics } from '../../../src/telemetry/metrics.js';
import { collectAppState } from '../../../src/telemetry/metrics-state.js';
import { closeLagWindow, type DelaySource } from '../../../src/telemetry/process-metrics.js';
import { buildInfo } from '../../../src/telemetry/build-info.js';
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
  it('counts requests per route, arm, upstream, status class, HTTP status and FL_ code, with durations per arm', () => {
    const m = createMetrics({ process: false });
    m.observer.begin(info(0))!.end(ok(200), 4);
    m.observer.begin(info(0))!.end(ok(204), 30);
    m.observer.begin(info(1))!.end(ok(404), 2);
    m.observer.begin(info(1))!.end(ok(502, 'FL_UPSTREAM_CONNECT'), 1);
    m.observer.begin(info(1))!.end(ok(502, 'FL_UPSTREAM_CONNECT'), 1);
    m.observer.begin(info(1))!.end(ok(503, 'FL_NO_ENDPOINT'), 1);
    m.observer.begin(info(1))!.end(ok(499, 'FL_CLIENT_ABORTED'), 1);
    const p = parseExposition(m.render());
    const control = { route: 'checkout', arm: 'control', upstream: 'shop-v1', status_class: '2xx' };
    expect(value(p, 'fieldlab_requests_total', { ...control, code: '200', fl_code: '' })).toBe(1);
    expect(value(p, 'fieldlab_requests_total', { ...control, code: '204', fl_code: '' })).toBe(1);
    expect(value(p, 'fieldlab_requests_total', { arm: 'v2', status_class: '4xx', code: '404', fl_code: '' })).toBe(1);
    expect(value(p, 'fieldlab_requests_total', { arm: 'v2', status_class: '5xx', code: '502', fl_code: 'FL_UPSTREAM_CONNECT' })).toBe(2);
    expect(value(p, 'fieldlab_requests_total', { arm: 'v2', status_class: '5xx', code: '503', fl_code: 'FL_NO_ENDPOINT' })).toBe(1);
    expect(value(p, 'fieldlab_requests_total', { arm: 'v2', status_class: '4xx', code: '499', fl_code: 'FL_CLIENT_ABORTED' })).toBe(1);
    // A client that went away is not an upstream error.
    expect(p.get('fieldlab_upstream_errors_total')!.samples).toEqual([
      {
        name: 'fieldlab_upstream_errors_total',
        labels: { route: 'checkout', arm: 'v2', upstream: 'shop-v2', code: '502', fl_code: 'FL_UPSTREAM_CONNECT' },
        value: 2,
      },
      {
        name: 'fieldlab_upstream_errors_total',
        labels: { route: 'checkout', arm: 'v2', upstream: 'shop-v2', code: '503', fl_code: 'FL_NO_ENDPOINT' },
        value: 1,
      },
    ]);
    const times = histogram(p, 'fieldlab_request_duration_seconds', { route: 'checkout', arm: 'control' });
    expect(times.count).toBe(2);
    expect(times.sum).toBeCloseTo(0.034, 9);
    expect(times.buckets).toMatchObject({ '0.0025': 0, '0.005': 1, '0.025': 1, '0.05': 2, '+Inf': 2 });
    expect(histogram(p, 'fieldlab_request_duration_seconds', { arm: 'v2' }).count).toBe(5);
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

  it('says which version and runtime it is', () => {
    const m = createMetrics({ process: false });
    const p = parseExposition(m.render());
    expect(p.get('fieldlab_build_info')!.samples).toEqual([
      { name: 'fieldlab_build_info', labels: { version: buildInfo().version, node: process.version }, value: 1 },
    ]);
    expect(buildInfo().version).toMatch(/^\d+\.\d+\.\d+/);
  });

  it('renders collect callbacks and process metrics', () => {
    const stats = {
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
    const config = {
      current: () => ({ version: 3, loadedAt: new Date(1_700_000_000_000), routes: [] }),
      lastReload: () => ({ ok: false }),
    } as never;
    const m = createMetrics({
      collect: collectAppState({ mirror: () => stats, config, tracing: () => ({ exported: 9, failed: 0, dropped: 1, queued: 2 }) }),
    });
    const p = parseExposition(m.render());
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

describe('event-loop delay windows', () => {
  /** A delay histogram holding `ns` samples (what perf_hooks would have recorded). */
  const source = (ns: number[]): DelaySource & { resets: number } => ({
    resets: 0,
    get count() {
      return ns.length;
    },
    get max() {
      return Math.max(...ns);
    },
    percentile: (q) => [...ns].sort((a, b) => a - b)[Math.min(ns.length - 1, Math.ceil((q / 100) * ns.length) - 1)]!,
    reset() {
      ns.length = 0;
      this.resets++;
    },
  });

  it('reports the excess over the 20 ms sampling interval and resets the source', () => {
    const ms = (x: number) => x * 1e6;
    const s = source([ms(20), ms(20), ms(21), ms(120)]);
    expect(closeLagWindow(s)).toEqual({ p50: 0, p99: 0.1, max: 0.1 });
    expect(s.resets).toBe(1);
    expect(closeLagWindow(s)).toEqual({ p50: 0, p99: 0, max: 0 });
  });

  it('serves the last closed window to every scrape: back-to-back scrapes agree', async () => {
    const m = createMetrics();
    // Let the monitor take its first samples, block the loop well past the sampling interval, let
    // the monitor record that, then close the window.
    await new Promise((r) => setTimeout(r, 60));
    const until = performance.now() + 100;
    while (performance.now() < until);
    await new Promise((r) => setTimeout(r, 60));
    m.rollLagWindow();
    const read = () => {
      const p = parseExposition(m.render());
      return ['p50', 'p99', 'max'].map((q) => value(p, `nodejs_eventloop_lag_${q}_seconds`));
    };
    const first = read();
    expect(first[2]).toBeGreaterThan(0);
    expect(read()).toEqual(first);
    expect(read()).toEqual(first);
    m.close();
  });
});
