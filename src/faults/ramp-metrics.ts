/**
 * The ramp's metrics, read at scrape time from the runtime's status: the step and level in force,
 * the injected failures (the budget's stream) and how each finished ramp ended.
 */
import type { MetricFamily } from '../telemetry/prom-text.js';
import type { RampRuntime } from './ramp-runtime.js';

/**
 * A metrics `collect` callback with the ramp families added (none without a ramp).
 * @example createMetrics({ collect: withRampMetrics(collect, () => ramps) })
 */
export function withRampMetrics(collect: () => MetricFamily[], runtime: () => Pick<RampRuntime, 'status'>): () => MetricFamily[] {
  return () => {
    const ramps = runtime().status();
    if (ramps.length === 0) return collect();
    return [
      ...collect(),
      {
        name: 'fieldlab_fault_ramp_step',
        help: 'Step of the route’s fault ramp (1 = first level); of the last judged step once the ramp is done',
        type: 'gauge',
        samples: ramps.map((r) => ({ labels: { route: r.route, kind: r.kind }, value: r.step + 1 })),
      },
      {
        name: 'fieldlab_fault_ramp_level',
        help: 'Level in force on the ramp’s slice (delay ms or abort percent); 0 once the ramp is done',
        type: 'gauge',
        samples: ramps.map((r) => ({ labels: { route: r.route, kind: r.kind }, value: r.level ?? 0 })),
      },
      {
        name: 'fieldlab_fault_ramp_injected_failures_total',
        help: 'Injected failures of the ramp (aborts, resets, delayed requests that failed): the budget’s stream, apart from real errors',
        type: 'counter',
        samples: ramps.map((r) => ({ labels: { route: r.route }, value: r.injected })),
      },
      {
        name: 'fieldlab_fault_ramp_done',
        help: '1 when the route’s ramp has ended, by how: harm (breaking point), budget, killed, completed',
        type: 'gauge',
        samples: ramps.filter((r) => r.end).map((r) => ({ labels: { route: r.route, end: r.end! }, value: 1 })),
      },
    ];
  };
}
