/**
 * Span-tree diffs load only when configured: no `traces:`, no listener, no buffer, no timer. The
 * receiver is one listener per address: in a `workers: N` group the primary runs it, and the
 * workers relay their traced exchanges to it (cluster/trace-relay.ts).
 */
import type { ProcessRole } from '../cluster/role.js';
import type { RawConfig } from '../config/schema.js';
import type { DiffBatcher } from '../storage/batcher.js';
import type { DiffStore } from '../storage/types.js';
import type { Logger } from '../telemetry/logger.js';
import type { Traces } from '../traces/traces.js';

/**
 * The OTLP receiver and span join of `traces:`, or undefined (not configured, or a worker of a group).
 * @example const traces = await loadTraces(cfg, role, batcher, stores.diffs, log)
 */
export async function loadTraces(
  cfg: RawConfig,
  role: ProcessRole | undefined,
  batcher: DiffBatcher,
  store: DiffStore,
  log: Logger,
): Promise<Traces | undefined> {
  const traces =
    cfg.traces && role?.proxy !== true
      ? (await import('../traces/traces.js')).createTraces(cfg.traces, batcher, {
          ...(store.profiles ? { storedProfiles: store.profiles.bind(store) } : {}),
          onError: (what, err) => log.warn({ err }, `${what} failed (dropped and counted)`),
        })
      : undefined;
  if (cfg.traces && !cfg.tracing) log.warn('traces: is set without tracing: — no traceparent is sent upstream, so no span can be joined');
  return traces;
}
