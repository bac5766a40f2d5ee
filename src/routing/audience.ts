/**
 * Who is in a route's split: the experiment's targeting rules (routing/targeting.ts) and its slice
 * of a layer. A layer is a bucket space shared by experiments on the same users: each unit lands in
 * one bucket of it by `bucketOf(layerSeed, key)`, independent of every route's own seed, and each
 * experiment of the layer owns a disjoint [from, to) range of it — so one unit is in at most one of
 * them. Inside its slice a unit's arm comes from the route's own bucket as always, so the split's
 * weights (and the SRM test's expected ratios) hold among the units in it. Units outside get control
 * and are not exposures.
 */
import { BUCKETS, bucketOf } from './hash.js';
import type { StickyInput } from './sticky.js';
import { compileTargeting, type TargetingSpec } from './targeting.js';

/** Why a request is outside the split. */
export type Exclusion = 'targeting' | 'layer';

/** A route's slice of one layer, in buckets of the layer's space. */
export interface LayerSlice {
  readonly layer: string;
  /** [start, end) in [0, 10000]. */
  readonly start: number;
  readonly end: number;
  /** The layer's hash seed (read through the seed book; fixed once loaded). */
  seed(): string;
}

/** The compiled audience of a route (undefined on routes without targeting or a layer). */
export interface Audience {
  readonly targets: ((req: StickyInput) => boolean) | undefined;
  readonly layer: LayerSlice | undefined;
  /**
   * Why this request (with its unit key, when it has one) is outside the split, or undefined when in.
   * Without a key only the targeting rules can be judged.
   */
  exclude(req: StickyInput, key: string | undefined): Exclusion | undefined;
}

/**
 * Compiles a route's audience; undefined when it has neither rules nor a layer (then it costs nothing).
 * @example compileAudience({ header: { 'x-plan': { equals: 'pro' } } }, undefined)?.exclude(req, 'u1') // 'targeting' for a free user
 */
export function compileAudience(when: TargetingSpec | undefined, layer: LayerSlice | undefined): Audience | undefined {
  if (!when && !layer) return undefined;
  const targets = when ? compileTargeting(when) : undefined;
  return {
    targets,
    layer,
    exclude(req, key) {
      if (targets && !targets(req)) return 'targeting';
      if (layer && key !== undefined && !inSlice(layer, key)) return 'layer';
      return undefined;
    },
  };
}

/**
 * True when the unit's bucket in the layer falls in the slice.
 * @example inSlice({ layer: 'l', start: 0, end: 5000, seed: () => 'l' }, 'user-1')
 */
export function inSlice(slice: LayerSlice, key: string): boolean {
  const b = bucketOf(slice.seed(), key);
  return b >= slice.start && b < slice.end;
}

/** A route's reference to a layer, as validated. */
export interface LayerRefSpec {
  readonly name: string;
  readonly range?: readonly [number, number] | undefined;
  readonly share?: number | undefined;
}

/**
 * Each route's slice of its layer, in percent: `range` as written, `share`s packed one after another
 * in file order from 0 (the schema rejects mixing the two in one layer, overlaps and overflows).
 * @example planLayers([{ name: 'a', layer: { name: 'l', share: 30 } }, { name: 'b', layer: { name: 'l', share: 20 } }]).get('b') // { layer: 'l', from: 30, to: 50 }
 */
export function planLayers(
  routes: readonly { readonly name: string; readonly layer?: LayerRefSpec | undefined }[],
): Map<string, { layer: string; from: number; to: number }> {
  const cursor = new Map<string, number>();
  const out = new Map<string, { layer: string; from: number; to: number }>();
  for (const r of routes) {
    const ref = r.layer;
    if (!ref) continue;
    if (ref.range) {
      out.set(r.name, { layer: ref.name, from: ref.range[0], to: ref.range[1] });
      continue;
    }
    const from = cursor.get(ref.name) ?? 0;
    const to = Math.min(100, from + (ref.share ?? 0));
    cursor.set(ref.name, to);
    out.set(r.name, { layer: ref.name, from, to });
  }
  return out;
}

/**
 * A percent range as buckets of the layer's space.
 * @example sliceBuckets(0, 12.5) // [0, 1250]
 */
export function sliceBuckets(from: number, to: number): [number, number] {
  return [Math.round((from / 100) * BUCKETS), Math.round((to / 100) * BUCKETS)];
}

/**
 * The seed-book entry of a layer: its `salt:`, else a random seed stored under `layer:NAME` (route
 * names can't contain ":", so it never collides with a route's).
 * @example layerSeedRef({ name: 'checkout' }) // { name: 'layer:checkout', seed: undefined }
 */
export function layerSeedRef(layer: { readonly name: string; readonly salt?: string | undefined }): {
  name: string;
  seed: string | undefined;
} {
  return { name: `layer:${layer.name}`, seed: layer.salt };
}
