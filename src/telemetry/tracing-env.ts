/**
 * Where spans go and what they are called, from `tracing:` and the standard OTEL_* variables
 * (https://opentelemetry.io/docs/specs/otel/protocol/exporter/#endpoint-urls-for-otlphttp): a
 * signal-specific endpoint is used as is, the generic one gets `/v1/traces` appended.
 */
import type { RawTracing } from '../config/schema.js';

/** The OTLP/HTTP collector default (`localhost:4318`). */
export const DEFAULT_TRACES_ENDPOINT = 'http://localhost:4318/v1/traces';

/** The schema's default `serviceName`, which OTEL_SERVICE_NAME may replace. */
const DEFAULT_SERVICE_NAME = 'fieldlab';

type Env = Readonly<Record<string, string | undefined>>;

/**
 * The traces endpoint: `tracing.endpoint`, else OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, else
 * OTEL_EXPORTER_OTLP_ENDPOINT + `/v1/traces`, else the local collector.
 * @example tracesEndpoint({ sample: 1, serviceName: 'fieldlab' }, { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4318' }) // 'http://otel:4318/v1/traces'
 */
export function tracesEndpoint(cfg: RawTracing, env: Env): string {
  if (cfg.endpoint) return cfg.endpoint;
  const traces = env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT?.trim();
  if (traces) return traces;
  const base = env.OTEL_EXPORTER_OTLP_ENDPOINT?.trim();
  if (base) return `${base.replace(/\/+$/, '')}/v1/traces`;
  return DEFAULT_TRACES_ENDPOINT;
}

/**
 * The `service.name` resource attribute. The config wins when it names the service; since the
 * schema fills in `fieldlab` when it doesn't, OTEL_SERVICE_NAME replaces that default only.
 * @example serviceName({ serviceName: 'fieldlab' }, { OTEL_SERVICE_NAME: 'edge-proxy' }) // 'edge-proxy'
 */
export function serviceName(cfg: Pick<RawTracing, 'serviceName'>, env: Env): string {
  const fromEnv = env.OTEL_SERVICE_NAME?.trim();
  if (cfg.serviceName !== DEFAULT_SERVICE_NAME) return cfg.serviceName;
  return fromEnv || DEFAULT_SERVICE_NAME;
}
