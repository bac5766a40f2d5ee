/**
 * Storage for recorded requests (`record:` on a route): each sample is one client request with the
 * primary's answer, already redacted, written in batches by the recorder's timer and read back in id
 * order by `fieldlab replay`. Caps (per route and in total, by count and bytes) are enforced inside
 * the write transaction, so replicas sharing a PostgreSQL store cannot overshoot them together.
 * Every backend passes test/unit/storage/record-contract.ts.
 */

/** One recorded exchange as stored (bodies base64, headers as [name, value] pairs, all redacted). */
export interface RecordedSample {
  readonly route: string;
  /** Epoch ms the request arrived. */
  readonly at: number;
  readonly requestId: string;
  /** A hash of the unit's sticky key (never the key itself). */
  readonly unit: string;
  /** The unit's record bucket, 0–9999: a segment of units is a bucket range. */
  readonly bucket: number;
  readonly arm: string;
  readonly method: string;
  /** Path and query as forwarded (secret-looking query values redacted). */
  readonly target: string;
  readonly requestHeaders: readonly (readonly [string, string])[];
  /** base64, or null without a body. */
  readonly requestBody: string | null;
  readonly status: number;
  readonly responseHeaders: readonly (readonly [string, string])[];
  /** base64 of the decoded body prefix kept. */
  readonly responseBody: string;
  /** The response body was longer than what was kept. */
  readonly truncated: boolean;
  readonly latencyMs: number;
  /** What the sample costs against the byte caps (bodies and headers). */
  readonly bytes: number;
}

/** A stored sample with its id (increasing in write order: the replay checkpoint). */
export interface StoredSample extends RecordedSample {
  readonly id: number;
}

/** Count and byte caps. */
export interface RecordCap {
  readonly maxSamples: number;
  readonly maxBytes: number;
}

/** The caps a batch is written under: per route (routes not listed are refused) and in total. */
export interface RecordCaps {
  readonly routes: Readonly<Record<string, RecordCap>>;
  readonly total: RecordCap;
}

/** What happened to each sample of a batch, in batch order. */
export type RecordOutcome = 'stored' | 'route_samples' | 'route_bytes' | 'total_samples' | 'total_bytes' | 'not_recording';

/** Which samples to read. */
export interface RecordQuery {
  readonly route: string;
  /** Only ids above this (resume). */
  readonly afterId?: number;
  /** Inclusive lower bound on `at`, epoch ms. */
  readonly since?: number;
  readonly arm?: string;
  readonly method?: string;
  /** Unit buckets [from, to). */
  readonly buckets?: readonly [number, number];
  /** At most this many (default 100, at most 1000). */
  readonly limit?: number;
}

/** Stored samples and bytes of one route. */
export interface RecordUsage {
  readonly route: string;
  readonly samples: number;
  readonly bytes: number;
}

/**
 * The records repository; asynchronous, called from the recorder's timer and the replay CLI only.
 * @example
 * const outcomes = await store.writeRecords(samples, { routes: { checkout: { maxSamples: 1e4, maxBytes: 2 ** 26 } }, total });
 * const page = await store.readRecords({ route: 'checkout', afterId: 0, limit: 100 });
 */
export interface RecordStore {
  /** Stores the samples that fit under the caps, atomically; resolves to one outcome per sample. */
  writeRecords(samples: readonly RecordedSample[], caps: RecordCaps): Promise<RecordOutcome[]>;
  /** Samples matching `q`, in id order. */
  readRecords(q: RecordQuery): Promise<StoredSample[]>;
  /** How many samples match `q` (ignoring `limit`). */
  countRecords(q: RecordQuery): Promise<number>;
  /** Stored samples and bytes per route. */
  recordUsage(): Promise<RecordUsage[]>;
  /** Deletes samples older than `before` (of `route` only, when given); resolves to rows deleted. */
  pruneRecords(before: number, route?: string): Promise<number>;
}

/** Rows per page at most. */
export const MAX_RECORD_PAGE = 1000;

/**
 * Decides the outcome of each sample of a batch given the current usage, the way every backend
 * must (shared so SQLite and PostgreSQL agree): in order, a sample is stored when its route and the
 * total still have room for one more sample and its bytes; otherwise it is refused with the first
 * cap it would break.
 * @example admit([s], [{ route: 'r', samples: 0, bytes: 0 }], caps) // ['stored']
 */
export function admit(samples: readonly RecordedSample[], usage: readonly RecordUsage[], caps: RecordCaps): RecordOutcome[] {
  const used = new Map(usage.map((u) => [u.route, { samples: u.samples, bytes: u.bytes }]));
  const total = { samples: 0, bytes: 0 };
  for (const u of usage) {
    total.samples += u.samples;
    total.bytes += u.bytes;
  }
  return samples.map((s) => {
    const cap = caps.routes[s.route];
    if (!cap) return 'not_recording';
    let u = used.get(s.route);
    if (!u) used.set(s.route, (u = { samples: 0, bytes: 0 }));
    if (u.samples + 1 > cap.maxSamples) return 'route_samples';
    if (u.bytes + s.bytes > cap.maxBytes) return 'route_bytes';
    if (total.samples + 1 > caps.total.maxSamples) return 'total_samples';
    if (total.bytes + s.bytes > caps.total.maxBytes) return 'total_bytes';
    u.samples++;
    u.bytes += s.bytes;
    total.samples++;
    total.bytes += s.bytes;
    return 'stored';
  });
}
