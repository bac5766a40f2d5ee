/**
 * Assigns one request to an arm: QA override first (when its locks let it through), then the
 * experiment's audience (targeting, layer slice: outside it → control, not an exposure), then the
 * sticky key's bucket through the route's nested ranges. Given the request (and, for signed overrides, the
 * clock), the same key always lands on the same arm.
 */
import type { CompiledRoute } from './route.js';
import { armForBucket } from './assign.js';
import type { Exclusion } from './audience.js';
import type { ForceRefusal } from './force.js';
import { countExcluded } from './audience-stats.js';
import { countForce } from './force-stats.js';
import { createBucketMemo } from './bucket-memo.js';
import { bucketOf } from './hash.js';
import type { StickyInput } from './sticky.js';

/** Buckets of recently seen sticky keys (every route's, by seed): a returning user costs no hash. */
const stickyBucket = createBucketMemo();

/** The result of assignment, carried through the request for logs and headers. */
export interface Assignment {
  readonly armIndex: number;
  readonly key: string;
  /** Bucket in [0, 10000), or -1 when the arm was forced or the request is outside the split. */
  readonly bucket: number;
  readonly forced: boolean;
  /** Set when the request is outside the split (targeting, layer slice): it gets control and is no exposure. */
  readonly excluded: Exclusion | undefined;
  /** Set when the request named an arm and was refused (then assigned by its key). */
  readonly forceRefused: ForceRefusal | undefined;
  /** Cookie name to issue the generated key under, when it was generated. */
  readonly issueCookie: string | undefined;
}

/**
 * Assigns a request on `route`.
 * @example assignArm(route, { headers, query: '', clientIp: '10.0.0.1' }).armIndex
 */
export function assignArm(route: CompiledRoute, input: StickyInput): Assignment {
  const sticky = route.sticky(input);
  let forceRefused: ForceRefusal | undefined;
  if (route.force) {
    const wanted = route.force.read(route.name, input, Math.floor(Date.now() / 1000));
    if (wanted && 'arm' in wanted) {
      const index = route.armIndex.get(wanted.arm);
      // An arm a decision rolled back stays out of reach: forcing it would send QA (or anyone with
      // the header) to the build the guardrails just took out of service.
      if (index === undefined) forceRefused = 'unknown-arm';
      else if (index > 0 && route.weights.closed[index - 1] && !route.force.allowRolledBack) forceRefused = 'rolled-back';
      else {
        countForce(route.name, 'followed');
        return {
          armIndex: index,
          key: sticky.key,
          bucket: -1,
          forced: true,
          excluded: undefined,
          forceRefused: undefined,
          issueCookie: sticky.issueCookie,
        };
      }
    } else if (wanted) forceRefused = wanted.refused;
    if (forceRefused) countForce(route.name, forceRefused);
  }
  // Outside the experiment's audience: control, and not one of the split's units.
  const excluded = route.audience?.exclude(input, sticky.key);
  if (excluded) countExcluded(route.name, excluded);
  // A generated key is new by definition: hashed directly, never kept in the memo of returning keys.
  const bucket = excluded ? -1 : sticky.source === 'generated' ? bucketOf(route.seed, sticky.key) : stickyBucket(route.seed, sticky.key);
  let armIndex = excluded ? 0 : armForBucket(route.weights.ranges, bucket);
  // A bandit route: a known unit keeps its first arm (only new units follow the moving weights);
  // one whose arm a guardrail rolled back goes to control, as a rollback sends everyone.
  const pins = route.weights.pins;
  if (pins && !excluded) {
    const pinned = pins.get(sticky.key);
    if (pinned === undefined) pins.pin(sticky.key, armIndex);
    else armIndex = pinned > 0 && route.weights.closed[pinned - 1] ? 0 : pinned;
  }
  // One object shape for every request (no conditional spread on the hot path).
  return {
    armIndex,
    key: sticky.key,
    bucket,
    forced: false,
    excluded,
    forceRefused,
    issueCookie: sticky.issueCookie,
  };
}
