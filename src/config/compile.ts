/**
 * Compiles a validated config into an immutable snapshot: matchers, sticky extractors, bucket
 * ranges and upstream pools are all built here once, so per-request work is lookups and compares.
 * A request captures the snapshot current when it arrives and finishes on it, whatever reloads do.
 */
import { createHash } from 'node:crypto';
import { createTrustedProxies, type TrustedProxies } from '../net/cidr.js';
import type { Arm, CompiledRoute } from '../routing/route.js';
import { createWeightCell } from '../routing/weights.js';
import { compileMatch } from '../routing/route-table.js';
import { compileForce, type ForceSpec } from '../routing/force.js';
import { compileSticky } from '../routing/sticky.js';
import { compileAudience, layerSeedRef, planLayers, sliceBuckets, type LayerSlice } from '../routing/audience.js';
import type { PoolRegistry } from '../forward/pools.js';
import { createUpstream, type Upstream } from '../forward/upstream.js';
import type { RawConfig, RawRoute } from './schema.js';
import { compileShadow, type CompiledShadow } from '../mirror/shadow-spec.js';
import { compileRecord } from '../record/record-spec.js';
import { compileFault } from '../faults/fault-spec.js';

/** Everything a request needs, frozen at compile time. */
export interface Snapshot {
  /** Increments with every successful (re)load. */
  readonly version: number;
  readonly loadedAt: Date;
  readonly file: string | undefined;
  /** sha256 of the config text, to tell which file is live. */
  readonly digest: string;
  readonly config: RawConfig;
  readonly routes: readonly CompiledRoute[];
  readonly upstreams: ReadonlyMap<string, Upstream>;
  readonly trustedProxies: TrustedProxies;
  /** Pool keys this snapshot uses (the registry closes the rest after a swap). */
  readonly poolKeys: ReadonlySet<string>;
  readonly shadowPoolKeys: ReadonlySet<string>;
}

/** A route's (or a layer's, as `layer:NAME`) hash seed: `seed:` when set, else the stored random one (SeedBook.seedOf). */
export type SeedOf = (route: { readonly name: string; readonly seed?: string | undefined }) => string;

/**
 * Compiles a config. Never fails for a config that passed the schema.
 * @example const snap = compileSnapshot(cfg, text, 'fieldlab.yaml', 1, pools)
 */
export function compileSnapshot(
  config: RawConfig,
  text: string,
  file: string | undefined,
  version: number,
  pools: PoolRegistry,
  shadowPools: PoolRegistry,
  seedOf: SeedOf = (r) => r.seed ?? r.name,
): Snapshot {
  const poolKeys = new Set<string>();
  const shadowPoolKeys = new Set<string>();
  const upstreams = new Map<string, Upstream>();
  for (const [name, raw] of Object.entries(config.upstreams)) {
    const opts = {
      timeouts: { ...config.defaults.timeouts, ...raw.timeouts },
      connections: raw.connections ?? config.defaults.connections,
      queue: raw.queue ?? config.defaults.queue,
    };
    const endpoints = raw.endpoints.map((origin) => pools.endpoint(origin, opts));
    endpoints.forEach((ep) => poolKeys.add(ep.key));
    upstreams.set(name, createUpstream(name, endpoints, raw.host));
  }
  const trustedProxies = createTrustedProxies(config.trustedProxies);
  const slices = layerSlices(config, seedOf);
  return Object.freeze({
    version,
    loadedAt: new Date(),
    file,
    digest: createHash('sha256').update(text).digest('hex'),
    config,
    routes: config.routes.map((r) =>
      compileRoute(
        r,
        upstreams,
        (raw) => compileShadow(r.name, raw, config, shadowPools, shadowPoolKeys),
        seedOf,
        trustedProxies,
        slices.get(r.name),
      ),
    ),
    upstreams,
    trustedProxies,
    poolKeys,
    shadowPoolKeys,
  });
}

function compileRoute(
  route: RawRoute,
  upstreams: ReadonlyMap<string, Upstream>,
  shadow: (raw: RawRoute['shadow'][number]) => CompiledShadow,
  seedOf: SeedOf,
  proxies: TrustedProxies,
  slice: LayerSlice | undefined,
): CompiledRoute {
  const variants = Object.keys(route.arms).filter((a) => a !== 'control');
  const percents = variants.map((v) => initialPercent(route, v, variants.length));
  const control: Arm = {
    name: 'control',
    upstream: upstreams.get(route.arms.control!)!,
    percent: 100 - percents.reduce((a, b) => a + b, 0),
  };
  const arms = [control, ...variants.map((v, i) => ({ name: v, upstream: upstreams.get(route.arms[v]!)!, percent: percents[i]! }))];
  return Object.freeze({
    name: route.name,
    matcher: compileMatch(route.match),
    arms,
    armIndex: new Map(arms.map((a, i) => [a.name, i])),
    weights: createWeightCell(percents),
    // Read through the seed book: the stored seed is loaded after the first compile but before the
    // proxy listens (routing/seeds.ts), and never changes for a route afterwards.
    get seed() {
      return seedOf(route);
    },
    sticky: compileSticky(route.sticky),
    force: route.force ? compileForce(forceSpec(route.force), proxies) : undefined,
    audience: compileAudience(route.experiment?.when, slice),
    exposeArm: route.exposeArm,
    upgrades: new Set(route.upgrades.map((u) => u.toLowerCase())),
    shadows: route.shadow.map(shadow),
    template: route.match.path.includes(':') ? route.match.path.replace(/\/\*$/, '') : undefined,
    guardrails: route.guardrails,
    rollout: route.rollout,
    record: route.record ? compileRecord(route.record) : undefined,
    fault: route.fault ? compileFault(route.fault, proxies) : undefined,
  });
}

/** A variant's weight before the guardrails engine applies its own: the first step, or the split. */
function initialPercent(route: RawRoute, variant: string, variants: number): number {
  const r = route.rollout;
  if (!r) return route.split[variant] ?? 0;
  // A one-step rollout is promoted at once, so its holdback applies from the start.
  return r.steps.length === 1 && r.holdback ? Math.min(r.steps[0]!, (100 - r.holdback) / variants) : r.steps[0]!;
}

/** Each layered route's slice, in buckets, with its layer's seed read through the seed book. */
function layerSlices(config: RawConfig, seedOf: SeedOf): Map<string, LayerSlice> {
  const plan = planLayers(config.routes.map((r) => ({ name: r.name, layer: r.experiment?.layer })));
  const layers = new Map(config.layers.map((l) => [l.name, layerSeedRef(l)]));
  const out = new Map<string, LayerSlice>();
  for (const [route, p] of plan) {
    const ref = layers.get(p.layer) ?? { name: `layer:${p.layer}`, seed: undefined };
    const [start, end] = sliceBuckets(p.from, p.to);
    // Domain-separated from route seeds: a salt equal to a route's seed must not make the slice and
    // the variant's range select the same buckets.
    out.set(route, { layer: p.layer, start, end, seed: () => `layer\n${seedOf(ref)}` });
  }
  return out;
}

/** The validated `force:` as the router takes it (durations in seconds). */
function forceSpec(raw: NonNullable<RawRoute['force']>): string | ForceSpec {
  if (typeof raw === 'string') return raw;
  const { maxTtl, ...rest } = raw;
  return { ...rest, maxTtlSeconds: Math.floor(maxTtl / 1000) };
}
