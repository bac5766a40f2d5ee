/**
 * Request metrics in Prometheus form. Names are fixed; route, arm, upstream, shadow and outcome are
 * labels whose values come from the config (a shadow name the route doesn't declare is `other`).
 * Per compiled route we build, once, a stateless tracker per arm holding its counter and histogram
 * cells, so `begin` allocates nothing and `end` is a few increments and one small map lookup.
 */
import type { CompiledRoute } from '../routing/route.js';
import {
  FL_NO_ENDPOINT,
  FL_UPSTREAM_CONNECT,
  FL_UPSTREAM_CONNECT_TIMEOUT,
  FL_UPSTREAM_PROTOCOL,
  FL_UPSTREAM_RESET,
  FL_UPSTREAM_TIMEOUT,
} from '../errors.js';
import type { ForwardOutcome } from '../forward/forwarder.js';
import type { CapturedResponse } from '../compare/types.js';
import type { ExchangeObserver, ExchangeTracker, ShadowTracker } from './hooks.js';
import { CounterFamily, HistogramFamily, OTHER, type CounterCell, type HistogramCell } from './metric-registry.js';
import { createProcessCollector } from './process-metrics.js';
import { renderFamily, type MetricFamily } from './prom-text.js';
import { buildInfo } from './build-info.js';

/** Latency buckets, seconds: a proxy hop is sub-millisecond, upstream calls up to tens of seconds. */
export const LATENCY_BUCKETS: readonly number[] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** Codes that mean the upstream (not the client, not the proxy) failed the exchange. */
const UPSTREAM_ERRORS: ReadonlySet<string> = new Set(
  [FL_UPSTREAM_CONNECT, FL_UPSTREAM_RESET, FL_UPSTREAM_PROTOCOL, FL_UPSTREAM_CONNECT_TIMEOUT, FL_UPSTREAM_TIMEOUT, FL_NO_ENDPOINT].map(
    (e) => e.code,
  ),
);

const STATUS_CLASS = ['other', '1xx', '2xx', '3xx', '4xx', '5xx'];

const statusClass = (status: number): string => STATUS_CLASS[(status / 100) | 0] ?? OTHER;
/** The `code` label: the status as sent ('0' when none was: the exchange failed before one). */
const statusText = (status: number): string => (Number.isInteger(status) && status >= 0 && status < 1000 ? String(status) : OTHER);

/** How to build the metrics. */
export interface MetricsOptions {
  /** Counters and gauges read at scrape time (mirror, compare, storage, config, tracing). */
  readonly collect?: () => readonly MetricFamily[];
  /** Process metrics (memory, CPU, event-loop delay); default true. */
  readonly process?: boolean;
}

/** Running metrics. */
export interface Metrics {
  /** Register with the request handler's observers. */
  readonly observer: ExchangeObserver;
  /** Everything in Prometheus text format 0.0.4. */
  render(): string;
  /** Closes the event-loop delay window now (tests; a timer closes one every 10 s). */
  rollLagWindow(): void;
  /** Stops the event-loop delay monitor. */
  close(): void;
}

interface Families {
  readonly requests: CounterFamily;
  readonly duration: HistogramFamily;
  readonly upstreamErrors: CounterFamily;
  readonly shadowRequests: CounterFamily;
  readonly shadowDuration: HistogramFamily;
}

/**
 * Creates the registry and its observer.
 * @example const metrics = createMetrics({ collect: collectAppState({ config, mirror }) }); observers.push(metrics.observer); metrics.render()
 */
export function createMetrics(opts: MetricsOptions = {}): Metrics {
  const f: Families = {
    requests: new CounterFamily(
      'fieldlab_requests_total',
      'Routed requests by how they ended (code: the HTTP status; fl_code: the FL_ code when the proxy made or cut the response)',
      ['route', 'arm', 'upstream', 'status_class', 'code', 'fl_code'],
    ),
    duration: new HistogramFamily(
      'fieldlab_request_duration_seconds',
      'Time from request arrival to the end of the response',
      ['route', 'arm'],
      LATENCY_BUCKETS,
    ),
    upstreamErrors: new CounterFamily(
      'fieldlab_upstream_errors_total',
      'Primary requests the upstream failed (connect, reset, timeout, protocol, no endpoint); code: the status sent, fl_code: why',
      ['route', 'arm', 'upstream', 'code', 'fl_code'],
    ),
    shadowRequests: new CounterFamily(
      'fieldlab_shadow_requests_total',
      'Completed shadow copies by outcome (status class, or the FL_ code of the failure)',
      ['route', 'shadow', 'kind', 'outcome'],
    ),
    shadowDuration: new HistogramFamily(
      'fieldlab_shadow_duration_seconds',
      'Shadow copy latency, dispatch to end of response',
      ['route', 'shadow', 'kind'],
      LATENCY_BUCKETS,
    ),
  };
  const routes = new WeakMap<CompiledRoute, RouteMetrics>();
  const proc = opts.process === false ? undefined : createProcessCollector();
  const { version, node } = buildInfo();
  // Constant for the process's life: rendered once.
  const info = renderFamily({
    name: 'fieldlab_build_info',
    help: 'Always 1; the labels say which Fieldlab version and Node.js runtime this process runs',
    type: 'gauge',
    samples: [{ labels: { version, node }, value: 1 }],
  });
  return {
    observer: {
      begin(x) {
        let r = routes.get(x.route);
        if (!r) routes.set(x.route, (r = new RouteMetrics(x.route, f)));
        return r.arms[x.armIndex] ?? r.arms[0];
      },
    },
    render() {
      let out = info;
      for (const family of Object.values(f) as (CounterFamily | HistogramFamily)[]) out += family.render();
      for (const family of opts.collect?.() ?? []) out += renderFamily(family);
      for (const family of proc?.collect() ?? []) out += renderFamily(family);
      return out;
    },
    rollLagWindow: () => proc?.roll(),
    close: () => proc?.close(),
  };
}

/** One compiled route's trackers; shared by every request on it (they hold no per-request state). */
class RouteMetrics {
  readonly arms: ArmTracker[];
  readonly #route: string;
  readonly #shadowNames: ReadonlySet<string>;
  readonly #shadows = new Map<string, ShadowMetrics>();
  readonly #f: Families;

  constructor(route: CompiledRoute, f: Families) {
    this.#f = f;
    this.#route = route.name;
    this.#shadowNames = new Set(route.shadows.map((s) => s.name));
    this.arms = route.arms.map((arm) => new ArmTracker(this, route.name, arm.name, arm.upstream.name, f));
  }

  shadow(name: string, kind: 'shadow' | 'noise'): ShadowMetrics {
    const key = `${kind}:${name}`;
    let s = this.#shadows.get(key);
    if (!s) this.#shadows.set(key, (s = new ShadowMetrics(this.#route, this.#shadowNames.has(name) ? name : OTHER, kind, this.#f)));
    return s;
  }
}

class ArmTracker implements ExchangeTracker {
  readonly #owner: RouteMetrics;
  readonly #labels: readonly [string, string, string];
  readonly #f: Families;
  readonly #duration: HistogramCell;
  /** Cells by status for responses without an FL_ code (the common case: one map read, no string). */
  readonly #requests = new Map<number, CounterCell>();
  /** Cells by FL_ code, then status (a code has one or two statuses: cut responses keep theirs). */
  readonly #coded = new Map<string, Map<number, { request: CounterCell; error: CounterCell | undefined }>>();

  constructor(owner: RouteMetrics, route: string, arm: string, upstream: string, f: Families) {
    this.#owner = owner;
    this.#labels = [route, arm, upstream];
    this.#f = f;
    this.#duration = f.duration.get([route, arm]);
  }

  end(outcome: ForwardOutcome, totalMs: number): void {
    const { code, status } = outcome;
    this.#duration.observe(totalMs / 1000);
    if (code === undefined) {
      let cell = this.#requests.get(status);
      if (!cell) this.#requests.set(status, (cell = this.#f.requests.get([...this.#labels, statusClass(status), statusText(status), ''])));
      cell.value++;
      return;
    }
    let byStatus = this.#coded.get(code);
    if (!byStatus) this.#coded.set(code, (byStatus = new Map()));
    let cells = byStatus.get(status);
    if (!cells) {
      const s = statusText(status);
      cells = {
        request: this.#f.requests.get([...this.#labels, statusClass(status), s, code]),
        error: UPSTREAM_ERRORS.has(code) ? this.#f.upstreamErrors.get([...this.#labels, s, code]) : undefined,
      };
      byStatus.set(status, cells);
    }
    cells.request.value++;
    if (cells.error) cells.error.value++;
  }

  shadow(name: string, kind: 'shadow' | 'noise'): ShadowTracker {
    return this.#owner.shadow(name, kind);
  }
}

class ShadowMetrics implements ShadowTracker {
  readonly #labels: readonly [string, string, string];
  readonly #f: Families;
  readonly #duration: HistogramCell;
  readonly #outcomes = new Map<string | number, CounterCell>();

  constructor(route: string, shadow: string, kind: string, f: Families) {
    this.#labels = [route, shadow, kind];
    this.#f = f;
    this.#duration = f.shadowDuration.get(this.#labels);
  }

  end(res: CapturedResponse): void {
    const digit = (res.status / 100) | 0;
    const key = res.error ?? digit;
    let cell = this.#outcomes.get(key);
    if (!cell) this.#outcomes.set(key, (cell = this.#f.shadowRequests.get([...this.#labels, res.error ?? STATUS_CLASS[digit] ?? OTHER])));
    cell.value++;
    this.#duration.observe(res.latencyMs / 1000);
  }
}
