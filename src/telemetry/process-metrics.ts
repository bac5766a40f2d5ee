/**
 * Process metrics read at scrape time: resident memory, heap, CPU, and event-loop delay from
 * perf_hooks.monitorEventLoopDelay (a libuv timer sampled every 20 ms; nothing runs per request).
 * The delay quantiles describe fixed windows (10 s by default) closed by a timer, never by a scrape:
 * a scrape reads the last closed window, so any number of Prometheus servers see the same values.
 * Names follow the Prometheus client libraries' (`process_*`, `nodejs_*`) so stock dashboards work.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MetricFamily } from './prom-text.js';

const RESOLUTION_MS = 20;

/** Length of an event-loop delay window. */
export const LAG_WINDOW_MS = 10_000;

/** What a delay window reads (perf_hooks' IntervalHistogram, in ns). */
export interface DelaySource {
  readonly count: number;
  readonly max: number;
  percentile(p: number): number;
  reset(): void;
}

/** One closed window's delay, seconds. */
export interface LagWindow {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/**
 * Closes a window over `source`: its quantiles as lag (the timer's own resolution subtracted, since
 * an idle loop fires it every RESOLUTION_MS and only the excess is delay), then resets the source.
 * @example let last = closeLagWindow(histogram); setInterval(() => (last = closeLagWindow(histogram)), 10_000)
 */
export function closeLagWindow(source: DelaySource): LagWindow {
  const lag = (ns: number) => (source.count === 0 ? 0 : Math.round(Math.max(0, ns / 1e3 - RESOLUTION_MS * 1e3)) / 1e6);
  const w = { p50: lag(source.percentile(50)), p99: lag(source.percentile(99)), max: lag(source.max) };
  source.reset();
  return w;
}

/** Collects the process families. */
export interface ProcessCollector {
  collect(): MetricFamily[];
  /** Closes the current delay window now (the timer does it every window). */
  roll(): void;
  close(): void;
}

/**
 * Starts the event-loop delay monitor and its window timer, and returns the collector.
 * @example const proc = createProcessCollector(); text += proc.collect().map(renderFamily).join(''); proc.close()
 */
export function createProcessCollector(opts: { windowMs?: number } = {}): ProcessCollector {
  const windowMs = opts.windowMs ?? LAG_WINDOW_MS;
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  const startTime = Math.round(Date.now() / 1000 - process.uptime());
  // Until the first window closes there is nothing to report but zeros.
  let last: LagWindow = { p50: 0, p99: 0, max: 0 };
  const roll = () => {
    last = closeLagWindow(delay);
  };
  const timer = setInterval(roll, windowMs);
  timer.unref();
  const seconds = windowMs / 1000;
  const lagGauge = (q: string, help: string, value: number): MetricFamily => ({
    name: `nodejs_eventloop_lag_${q}_seconds`,
    help: `${help} event-loop delay over the last closed ${seconds} s window, seconds`,
    type: 'gauge',
    samples: [{ value }],
  });
  return {
    collect() {
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      return [
        { name: 'process_resident_memory_bytes', help: 'Resident memory size in bytes', type: 'gauge', samples: [{ value: mem.rss }] },
        {
          name: 'process_cpu_seconds_total',
          help: 'User and system CPU time spent, seconds',
          type: 'counter',
          samples: [{ value: (cpu.user + cpu.system) / 1e6 }],
        },
        {
          name: 'process_start_time_seconds',
          help: 'Start time of the process since the Unix epoch, seconds',
          type: 'gauge',
          samples: [{ value: startTime }],
        },
        { name: 'nodejs_heap_used_bytes', help: 'V8 heap in use, bytes', type: 'gauge', samples: [{ value: mem.heapUsed }] },
        lagGauge('p50', 'Median', last.p50),
        lagGauge('p99', '99th percentile', last.p99),
        lagGauge('max', 'Largest', last.max),
      ];
    },
    roll,
    close() {
      clearInterval(timer);
      delay.disable();
    },
  };
}
