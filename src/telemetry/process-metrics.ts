/**
 * Process metrics read at scrape time: resident memory, heap, CPU, and event-loop delay from
 * perf_hooks.monitorEventLoopDelay (a libuv timer sampled every 20 ms; nothing runs per request).
 * The delay histogram is reset at each scrape, so the quantiles describe the last scrape interval.
 * Names follow the Prometheus client libraries' (`process_*`, `nodejs_*`) so stock dashboards work.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';
import type { MetricFamily } from './prom-text.js';

const RESOLUTION_MS = 20;

/** Collects the process families. */
export interface ProcessCollector {
  collect(): MetricFamily[];
  close(): void;
}

/**
 * Starts the event-loop delay monitor and returns the collector.
 * @example const proc = createProcessCollector(); text += proc.collect().map(renderFamily).join(''); proc.close()
 */
export function createProcessCollector(): ProcessCollector {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  const startTime = Math.round(Date.now() / 1000 - process.uptime());
  // The timer fires every RESOLUTION_MS when the loop is idle; only the excess is delay.
  const lag = (ns: number) => (delay.count === 0 ? 0 : Math.round(Math.max(0, ns / 1e3 - RESOLUTION_MS * 1e3)) / 1e6);
  return {
    collect() {
      const mem = process.memoryUsage();
      const cpu = process.cpuUsage();
      const families: MetricFamily[] = [
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
        {
          name: 'nodejs_eventloop_lag_p50_seconds',
          help: 'Median event-loop delay since the last scrape, seconds',
          type: 'gauge',
          samples: [{ value: lag(delay.percentile(50)) }],
        },
        {
          name: 'nodejs_eventloop_lag_p99_seconds',
          help: '99th percentile event-loop delay since the last scrape, seconds',
          type: 'gauge',
          samples: [{ value: lag(delay.percentile(99)) }],
        },
        {
          name: 'nodejs_eventloop_lag_max_seconds',
          help: 'Largest event-loop delay since the last scrape, seconds',
          type: 'gauge',
          samples: [{ value: lag(delay.max) }],
        },
      ];
      delay.reset();
      return families;
    },
    close: () => delay.disable(),
  };
}
