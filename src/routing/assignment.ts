/**
 * Assigns one request to an arm: QA override first, then the sticky key's bucket through the route's
 * nested ranges. Pure given the request, so the same key always lands on the same arm.
 */
import type { CompiledRoute } from './route.js';
import { armForBucket } from './assign.js';
import { bucketOf } from './hash.js';
import type { StickyInput } from './sticky.js';

/** The result of assignment, carried through the request for logs and headers. */
export interface Assignment {
  readonly armIndex: number;
  readonly key: string;
  /** Bucket in [0, 10000), or -1 when the arm was forced. */
  readonly bucket: number;
  readonly forced: boolean;
  /** Cookie name to issue the generated key under, when it was generated. */
  readonly issueCookie: string | undefined;
}

/**
 * Assigns a request on `route`.
 * @example assignArm(route, { headers, query: '', clientIp: '10.0.0.1' }).armIndex
 */
export function assignArm(route: CompiledRoute, input: StickyInput): Assignment {
  const sticky = route.sticky(input);
  if (route.force) {
    const wanted = route.force(input);
    const index = wanted === undefined ? undefined : route.armIndex.get(wanted);
    // Unknown arm names are ignored so a stale QA cookie can't break a page.
    if (index !== undefined) return { armIndex: index, key: sticky.key, bucket: -1, forced: true, issueCookie: sticky.issueCookie };
  }
  const bucket = bucketOf(route.seed, sticky.key);
  return { armIndex: armForBucket(route.weights.ranges, bucket), key: sticky.key, bucket, forced: false, issueCookie: sticky.issueCookie };
}
