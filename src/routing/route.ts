/**
 * The route model routing works on: one matched route with its arms, live weights, sticky-key
 * extractors and what the later stages need (shadows, guardrails). Config builds it at compile
 * (`compileSnapshot`); routing owns its meaning.
 */
import type { RawGuardrails, RawRollout } from '../config/schema.js';
import type { Upstream } from '../forward/upstream.js';
import type { CompiledShadow } from '../mirror/shadow-spec.js';
import type { CompiledRecord } from '../record/record-spec.js';
import type { CompiledFault } from '../faults/fault-spec.js';
import type { RouteMatcher } from './route-table.js';
import type { Audience } from './audience.js';
import type { ForcePolicy } from './force.js';
import type { StickyInput, StickyKey } from './sticky.js';
import type { WeightCell } from './weights.js';

/** One arm of a route: its name and where its traffic goes. Arm 0 is always control. */
export interface Arm {
  readonly name: string;
  readonly upstream: Upstream;
  /** Configured percent (control: the remainder). */
  readonly percent: number;
}

/** A route ready for the hot path. */
export interface CompiledRoute {
  readonly name: string;
  readonly matcher: RouteMatcher;
  /** arms[0] is control, then variants in config order. */
  readonly arms: readonly Arm[];
  readonly armIndex: ReadonlyMap<string, number>;
  /** Live variant weights and bucket ranges (guardrails may change them between reloads). */
  readonly weights: WeightCell;
  readonly seed: string;
  readonly sticky: (req: StickyInput) => StickyKey;
  /** The QA override and its locks (routing/force.ts), when `force:` is set. */
  readonly force: ForcePolicy | undefined;
  /** Who is in the split (experiment targeting and layer slice); undefined = everyone, at no cost. */
  readonly audience: Audience | undefined;
  readonly exposeArm: boolean;
  /** Upgrade protocol names (lower-case) this route tunnels; default websocket only. */
  readonly upgrades: ReadonlySet<string>;
  /** Dark-launch targets; empty when the route mirrors nothing (then mirroring costs nothing). */
  readonly shadows: readonly CompiledShadow[];
  /** The match path when it has :params (endpoint template for reports), else undefined. */
  readonly template: string | undefined;
  readonly guardrails: RawGuardrails | undefined;
  readonly rollout: RawRollout | undefined;
  /** `record:` (record and replay), when set; undefined costs the request path nothing. */
  readonly record: CompiledRecord | undefined;
  /** `fault:` (fault injection), when set; undefined costs the request path nothing. */
  readonly fault?: CompiledFault | undefined;
}
