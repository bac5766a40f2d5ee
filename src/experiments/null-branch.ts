/**
 * The null-branch check: does the variant behave exactly like control? When every endpoint answers
 * both arms with the same status mix, the same response sizes and the same body digests, the
 * variant is most likely not reading `x-fieldlab-arm` (or was deployed as a copy of control), and
 * every result of the experiment is an A/A test. Kept in memory per replica, bounded (50 endpoints
 * per route, 32 distinct digests per endpoint and arm) and recency-weighted: counts halve once a
 * cell holds 2,000 responses, so a fixed variant clears the warning within a few thousand requests.
 * Sampled: every response of a route's arm until it has given 2,000, then one in 16 — the digest
 * (sha1 of 4 KiB) is the one per-response cost experiments add, and a verdict needs only hundreds.
 */

/** One endpoint's responses in one arm. */
interface Cell {
  n: number;
  statuses: Map<number, number>;
  bytes: number;
  latencyMs: number;
  /** Responses with a digest, by digest (the first 4 KiB of the body); `other` past the cap. */
  digests: Map<string, number>;
  digested: number;
  other: number;
}

/** Per endpoint: how the two arms compare. */
export interface NullBranchEndpoint {
  readonly endpoint: string;
  readonly requests: Readonly<Record<string, number>>;
  /** Total variation distance of the status mixes (0 = identical). */
  readonly statusDistance: number;
  /** Mean response bytes per arm. */
  readonly meanBytes: Readonly<Record<string, number>>;
  /** Total variation distance of the body-digest mixes; null when bodies vary too much to say. */
  readonly digestDistance: number | null;
  readonly meanLatencyMs: Readonly<Record<string, number>>;
  /** Indistinguishable within the thresholds. */
  readonly same: boolean;
}

/** The check's answer for one variant. */
export interface NullBranchResult {
  readonly alarm: boolean;
  readonly arm: string;
  readonly minRequests: number;
  readonly endpoints: readonly NullBranchEndpoint[];
}

/** Responses per arm before an endpoint is compared. */
export const NULL_BRANCH_MIN = 100;
const MAX_ENDPOINTS = 50;
const MAX_DIGESTS = 32;
const DECAY_AT = 2000;
/** Thresholds of "the same": status and digest mixes within 0.05 TVD, mean sizes within 1% + 8 bytes. */
const TVD = 0.05;
const SAMPLE_ALL = 2000;
const SAMPLE_EVERY = 16;

/** The per-replica collector. */
export interface NullBranchCollector {
  /** Whether to observe this response of the route's arm (cheap: a counter). */
  sample(route: string, arm: string): boolean;
  observe(route: string, arm: string, endpoint: string, status: number, bytes: number, latencyMs: number, digest: string | undefined): void;
  /** Compares each variant with control on every endpoint with enough responses. */
  check(route: string, arms: readonly string[]): NullBranchResult[];
  /** Hands every observed response to `fn` too from now on (a worker of a group: to its primary). */
  exportTo(fn: (o: ObservedResponse) => void): void;
}

/** One observed response, as `observe` takes it (what a worker sends its primary). */
export interface ObservedResponse {
  readonly route: string;
  readonly arm: string;
  readonly endpoint: string;
  readonly status: number;
  readonly bytes: number;
  readonly latencyMs: number;
  readonly digest: string | undefined;
}

/**
 * Creates the collector.
 * @example const nb = createNullBranch(); nb.observe('product', 'variant', 'GET /product/:id', 200, 512, 12, 'ab12…')
 */
export function createNullBranch(): NullBranchCollector {
  const routes = new Map<string, Map<string, Map<string, Cell>>>();
  const seen = new Map<string, Map<string, number>>();
  let exporter: ((o: ObservedResponse) => void) | undefined;
  return {
    exportTo(fn) {
      exporter = fn;
    },
    sample(route, arm) {
      let arms = seen.get(route);
      if (!arms) seen.set(route, (arms = new Map()));
      const n = arms.get(arm) ?? 0;
      arms.set(arm, n + 1);
      return n < SAMPLE_ALL || n % SAMPLE_EVERY === 0;
    },
    observe(route, arm, endpoint, status, bytes, latencyMs, digest) {
      exporter?.({ route, arm, endpoint, status, bytes, latencyMs, digest });
      let eps = routes.get(route);
      if (!eps) routes.set(route, (eps = new Map()));
      let arms = eps.get(endpoint);
      if (!arms) {
        if (eps.size >= MAX_ENDPOINTS) return;
        eps.set(endpoint, (arms = new Map()));
      }
      let c = arms.get(arm);
      if (!c) arms.set(arm, (c = { n: 0, statuses: new Map(), bytes: 0, latencyMs: 0, digests: new Map(), digested: 0, other: 0 }));
      if (c.n >= DECAY_AT) decay(c);
      c.n++;
      c.statuses.set(status, (c.statuses.get(status) ?? 0) + 1);
      c.bytes += bytes;
      c.latencyMs += latencyMs;
      if (digest === undefined) return;
      c.digested++;
      const seen = c.digests.get(digest);
      if (seen !== undefined) c.digests.set(digest, seen + 1);
      else if (c.digests.size < MAX_DIGESTS) c.digests.set(digest, 1);
      else c.other++;
    },
    check(route, arms) {
      const eps = routes.get(route);
      return arms.slice(1).map((arm) => {
        const endpoints: NullBranchEndpoint[] = [];
        for (const [endpoint, cells] of eps ?? []) {
          const c = cells.get(arms[0]!);
          const v = cells.get(arm);
          if (!c || !v || c.n < NULL_BRANCH_MIN || v.n < NULL_BRANCH_MIN) continue;
          endpoints.push(compare(endpoint, arms[0]!, c, arm, v));
        }
        return { alarm: endpoints.length > 0 && endpoints.every((e) => e.same), arm, minRequests: NULL_BRANCH_MIN, endpoints };
      });
    },
  };
}

function compare(endpoint: string, ca: string, c: Cell, va: string, v: Cell): NullBranchEndpoint {
  const statusDistance = tvd(c.statuses, c.n, v.statuses, v.n);
  // Digests say something only when most responses repeat one of a few bodies in both arms.
  const enough = (x: Cell) => x.digested >= NULL_BRANCH_MIN && x.other / x.digested < 0.5;
  const digestDistance = enough(c) && enough(v) ? tvd(c.digests, c.digested, v.digests, v.digested) : null;
  const mc = c.bytes / c.n;
  const mv = v.bytes / v.n;
  const sameSize = Math.abs(mv - mc) <= 0.01 * mc + 8;
  const same = statusDistance <= TVD && sameSize && (digestDistance === null || digestDistance <= TVD);
  return {
    endpoint,
    requests: { [ca]: c.n, [va]: v.n },
    statusDistance,
    meanBytes: { [ca]: mc, [va]: mv },
    digestDistance,
    meanLatencyMs: { [ca]: c.latencyMs / c.n, [va]: v.latencyMs / v.n },
    same,
  };
}

/** Total variation distance between two count maps (keys missing from one count as 0). */
function tvd<K>(a: ReadonlyMap<K, number>, na: number, b: ReadonlyMap<K, number>, nb: number): number {
  let d = 0;
  for (const [k, x] of a) d += Math.abs(x / na - (b.get(k) ?? 0) / nb);
  for (const [k, y] of b) if (!a.has(k)) d += y / nb;
  return d / 2;
}

function decay(c: Cell): void {
  const half = (m: Map<unknown, number>) => {
    for (const [k, x] of m) {
      if (x <= 1) m.delete(k);
      else m.set(k, Math.floor(x / 2));
    }
  };
  const before = c.n;
  half(c.statuses);
  half(c.digests);
  c.other = Math.floor(c.other / 2);
  // Halving rounds each count down: the totals are what the maps hold, so shares still sum to 1.
  c.n = sum(c.statuses);
  c.digested = sum(c.digests) + c.other;
  c.bytes *= c.n / before;
  c.latencyMs *= c.n / before;
}

function sum(m: ReadonlyMap<unknown, number>): number {
  let s = 0;
  for (const x of m.values()) s += x;
  return s;
}
