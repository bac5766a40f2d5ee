/**
 * A route's `shadow:` entries compiled for the hot path: method set, sample threshold, header
 * rewrites and compare rules precomputed; shadow upstreams built on their own pools so shadow
 * traffic never takes a connection the primary needs.
 */
import type { CompareRules } from '../compare/types.js';
import type { RawConfig, RawShadow } from '../config/schema.js';
import type { PoolRegistry } from '../forward/pools.js';
import { createUpstream, type Upstream } from '../forward/upstream.js';

/** One compiled mirror target. */
export interface CompiledShadow {
  /** The shadow upstream's name (reports group by it). */
  readonly name: string;
  /** Dispatcher lane key: route/shadow. */
  readonly key: string;
  /** The noise copies' lane key: route/shadow/noise (built once, not per copy). */
  readonly noiseKey: string;
  readonly upstream: Upstream;
  /** Second copy of control for noise learning, if configured. */
  readonly noise: Upstream | undefined;
  /** Mirror when bucketOf(`mirror:${name}`, requestId) < this (percent × 100). */
  readonly sampleBelow: number;
  readonly methods: ReadonlySet<string>;
  /** Arm whose traffic is mirrored, or '*'. */
  readonly arm: string;
  readonly maxBody: number;
  readonly timeoutMs: number;
  readonly concurrency: number;
  readonly queue: number;
  /** Shadow response bytes read per second at most (0 = unlimited). */
  readonly bytesPerSecond: number;
  readonly host: string | undefined;
  readonly setHeaders: readonly (readonly [string, string])[];
  readonly removeHeaders: ReadonlySet<string>;
  readonly rules: CompareRules;
  /** `header:NAME` / `body:$.path` fields replaced by [redacted] in stored examples. */
  readonly redact: readonly string[];
}

/**
 * Compiles one shadow entry of `route`.
 * @example route.shadow.map((s) => compileShadow(route.name, s, cfg, shadowPools))
 */
export function compileShadow(route: string, raw: RawShadow, cfg: RawConfig, pools: PoolRegistry, poolKeys: Set<string>): CompiledShadow {
  const upstreamOf = (name: string): Upstream => {
    const up = cfg.upstreams[name]!;
    // The shadow's own timeout bounds every phase, and its pool is sized to its concurrency.
    const timeouts = { connect: Math.min(raw.timeout, cfg.defaults.timeouts.connect), headers: raw.timeout, idle: raw.timeout };
    const endpoints = up.endpoints.map((origin) => pools.endpoint(origin, { timeouts, connections: raw.concurrency }));
    endpoints.forEach((ep) => poolKeys.add(ep.key));
    return createUpstream(name, endpoints, undefined);
  };
  const ignore = raw.compare.ignore;
  return {
    name: raw.to,
    key: `${route}/${raw.to}`,
    noiseKey: `${route}/${raw.to}/noise`,
    upstream: upstreamOf(raw.to),
    noise: raw.compare.noiseFrom === undefined ? undefined : upstreamOf(raw.compare.noiseFrom),
    sampleBelow: Math.round(raw.percent * 100),
    methods: new Set(raw.methods),
    arm: raw.arm,
    maxBody: raw.maxBody,
    timeoutMs: raw.timeout,
    concurrency: raw.concurrency,
    queue: raw.queue,
    bytesPerSecond: raw.maxBytesPerSecond,
    host: raw.host,
    setHeaders: Object.entries(raw.headers?.set ?? {}).map(([k, v]) => [k.toLowerCase(), v] as const),
    removeHeaders: new Set((raw.headers?.remove ?? []).map((h) => h.toLowerCase())),
    rules: {
      ignoreHeaders: ignore.filter((r) => r.startsWith('header:')).map((r) => r.slice(7).toLowerCase()),
      ignoreBody: ignore.filter((r) => r.startsWith('body:')).map((r) => r.slice(5)),
      numericTolerance: raw.compare.tolerance,
      maxBody: raw.compare.maxBody,
    },
    redact: raw.compare.redact,
  };
}
