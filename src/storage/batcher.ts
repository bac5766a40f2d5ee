/**
 * The in-memory aggregator between the request path and storage. Compare results become O(1) map
 * updates keyed by a string; an unref'd timer hands everything to `store.write` in one call, so no
 * request ever waits for storage. One write is in flight at a time: while the store is slow, pending
 * data keeps aggregating in memory (bounded), it never queues up batch after batch. Bounded
 * everywhere: past its limits it drops and counts.
 */
import { DELTA_BOUNDS, LATENCY_BOUNDS, emptyHistogram, observe } from '../stats/histogram.js';
import type { DiffKind } from '../compare/types.js';
import { addProfileRow, emptyProfileRow, type ProfileRow } from './profile-rows.js';
import { OVERFLOW, type DiffBatch, type DiffExample, type DiffScope, type DiffStore } from './types.js';

/** What a diff is counted against; the batcher adds the hour from its clock. */
export interface DiffTarget {
  readonly route: string;
  readonly shadow: string;
  readonly endpoint: string;
}

/**
 * Why data was dropped: `keys` — observations of a new key while `maxKeys` were pending; `examples` —
 * examples over the per-flush cap; `write` — rows (keys + examples) of a batch the store refused.
 */
export type DropReason = 'keys' | 'examples' | 'write';

/** Counters for metrics and the admin API. */
export interface DiffBatcherStats {
  /** Observations counted under OVERFLOW because the endpoint (or field) cap was reached. */
  readonly overflow: { readonly endpoints: number; readonly fields: number };
  /** Successful `store.write` calls. */
  readonly flushes: number;
  /** Failed `store.write` calls (their batch is dropped). */
  readonly failures: number;
  /** Rows (keys + examples) written. */
  readonly written: number;
  readonly dropped: Readonly<Record<DropReason, number>>;
  /** Duration of the last `store.write`, ms (undefined before the first). */
  readonly lastFlushMs: number | undefined;
  /** Message of the last failed write. */
  readonly lastError: string | undefined;
  /** Keys and examples waiting for the next flush. */
  readonly pending: number;
}

/** The request path's handle on storage: every method returns at once and never throws. */
export interface DiffBatcher {
  pair(target: DiffTarget): void;
  /**
   * One compared field; `compared` sums over kinds give the field's denominator. `deltaMs`, for
   * `trace:slower:` fields, is the pair's latency delta (shadow − primary), summed per row.
   */
  field(target: DiffTarget, field: string, kind: DiffKind, differed: boolean, deltaMs?: number): void;
  /**
   * One noise observation (target.shadow may be '*' for route-wide noise); `deltaMs` as for
   * `field`, into the noise pairs' delta histogram.
   */
  noise(target: DiffTarget, field: string, differed: boolean, deltaMs?: number): void;
  status(target: DiffTarget, primary: number, candidate: number): void;
  latency(target: DiffTarget, primaryMs: number, candidateMs: number): void;
  /** False once this signature had its examples this hour: lets callers skip rendering bodies. */
  wantsExample(target: DiffTarget, field: string, kind: DiffKind): boolean;
  example(ex: Omit<DiffExample, 'hour'>): void;
  skip(route: string, shadow: string, reason: string): void;
  /** Adds one arm-profile increment to its minute's row (arm-profiles.ts; the minute comes from the row). */
  profile(row: ProfileRow): void;
  /**
   * The route's profile rows not yet stored: pending, plus the batch being written (its rows are
   * dropped from here once the write settles), so a read of the store plus these counts each once.
   */
  pendingProfiles(route: string): ProfileRow[];
  /** Writes everything pending now (after a write in flight); resolves once stored or dropped. Never rejects. */
  flush(): Promise<void>;
  /** Stops the timer and flushes what is pending. */
  stop(): Promise<void>;
  stats(): DiffBatcherStats;
}

export interface DiffBatcherOptions {
  readonly store: Pick<DiffStore, 'write'>;
  readonly flushMs?: number;
  /** Most distinct pending keys (all kinds together) between flushes. */
  readonly maxKeys?: number;
  readonly maxExamplesPerFlush?: number;
  /** Examples passed on per signature per hour; the store keeps only the first few anyway. */
  readonly maxExamplesPerSignature?: number;
  /** Distinct endpoints per route and shadow per hour (default 200); the rest count as OVERFLOW. */
  readonly maxEndpoints?: number;
  /** Distinct fields per endpoint per hour (default 200); the rest count as OVERFLOW. */
  readonly maxFields?: number;
  readonly now?: () => number;
  readonly onError?: (err: unknown) => void;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] };
type Row<K extends keyof DiffBatch> = Mutable<NonNullable<DiffBatch[K]>[number]>;
interface DeltaRow extends DiffScope {
  readonly field: string;
  readonly noise: boolean;
  readonly hist: number[];
}
interface LatencyRow extends DiffScope {
  primary: number[];
  candidate: number[];
  delta: number[];
}

const HOUR_MS = 3_600_000;

/** A target as the batcher last saw it: its fields then, its capped form and keys (see scopeFor). */
interface TargetScope {
  readonly target: DiffTarget;
  readonly route: string;
  readonly shadow: string;
  readonly endpoint: string;
  readonly hour: number;
  readonly t: DiffTarget;
  readonly fieldScope: string;
  readonly key: string;
}

/**
 * Creates a batcher flushing to `store` every `flushMs`.
 * @example
 * const diffs = createDiffBatcher({ store, onError: (err) => log.warn({ err }, 'diff flush failed') });
 * diffs.pair({ route: 'checkout', shadow: 'v2', endpoint: 'GET /cart' });
 * process.on('SIGTERM', () => diffs.stop());
 */
export function createDiffBatcher(opts: DiffBatcherOptions): DiffBatcher {
  const { store, flushMs = 1000, maxKeys = 10_000, now = Date.now, onError } = opts;
  const maxExamplesPerFlush = opts.maxExamplesPerFlush ?? 200;
  const maxPerSignature = opts.maxExamplesPerSignature ?? 3;
  const maxEndpoints = opts.maxEndpoints ?? 200;
  const maxFields = opts.maxFields ?? 200;

  let pairs = new Map<string, Row<'pairs'>>();
  let fields = new Map<string, Row<'fields'>>();
  let noise = new Map<string, Row<'noise'>>();
  let statuses = new Map<string, Row<'statuses'>>();
  let latency = new Map<string, LatencyRow>();
  let deltas = new Map<string, DeltaRow>();
  let skips = new Map<string, Row<'skips'>>();
  // The same skips' rows by route → shadow → reason, for `hourOfSkips`: a saturated shadow skips on
  // every request, and building the string key each time was most of the cost of a dropped copy.
  let skipRows = new Map<string, Map<string, Map<string, Row<'skips'>>>>();
  let hourOfSkips = 0;
  let profiles = new Map<string, ProfileRow>();
  let writingProfiles: readonly ProfileRow[] = [];
  let examples: DiffExample[] = [];
  let keys = 0;
  // Examples passed on per signature this hour; cleared each hour so pruned signatures get new ones.
  let quota = new Map<string, number>();
  let quotaHour = 0;

  const dropped: Record<DropReason, number> = { keys: 0, examples: 0, write: 0 };
  const overflow = { endpoints: 0, fields: 0 };
  // Admitted endpoints per route+shadow and fields per endpoint, this hour (a new hour admits anew,
  // so an endpoint that arrives after a flood waits at most an hour for its own rows).
  let endpointsSeen = new Map<string, Set<string>>();
  let fieldsSeen = new Map<string, Set<string>>();
  let capHour = 0;
  let flushes = 0;
  let failures = 0;
  let written = 0;
  let lastFlushMs: number | undefined;
  let lastError: string | undefined;

  const hourNow = () => Math.floor(now() / HOUR_MS) * HOUR_MS;

  /** True when `name` is (or can be) admitted into `scope`'s set of at most `max`. */
  function admit(seen: Map<string, Set<string>>, scope: string, name: string, max: number): boolean {
    let set = seen.get(scope);
    if (!set) seen.set(scope, (set = new Set()));
    if (set.has(name)) return true;
    if (set.size >= max) return false;
    set.add(name);
    return true;
  }

  /** The target with its endpoint capped: past the cap it is OVERFLOW. */
  function capped(t: DiffTarget): DiffTarget {
    const hour = hourNow();
    if (hour !== capHour) [endpointsSeen, fieldsSeen, capHour] = [new Map(), new Map(), hour];
    if (t.endpoint === OVERFLOW || admit(endpointsSeen, `${t.route}\0${t.shadow}`, t.endpoint, maxEndpoints)) return t;
    overflow.endpoints++;
    return { route: t.route, shadow: t.shadow, endpoint: OVERFLOW };
  }

  /** A field of a capped target, itself capped per endpoint. */
  function cappedField(t: DiffTarget, field: string, fieldScope = `${t.route}\0${t.shadow}\0${t.endpoint}`): string {
    if (field === OVERFLOW || admit(fieldsSeen, fieldScope, field, maxFields)) return field;
    overflow.fields++;
    return OVERFLOW;
  }

  /**
   * The last target's capped form and keys: the compare stage sends one target with every field of
   * a pair (tens of calls), so its keys are built once per pair, not once per field. Counts as
   * capped() would on every call (an endpoint over the cap is counted each time).
   */
  let last: TargetScope | undefined;
  function scopeFor(target: DiffTarget): TargetScope {
    const hour = hourNow();
    const l = last;
    if (
      l !== undefined &&
      l.target === target &&
      l.route === target.route &&
      l.shadow === target.shadow &&
      l.endpoint === target.endpoint &&
      l.hour === hour &&
      capHour === hour
    ) {
      if (l.t !== target) overflow.endpoints++;
      return l;
    }
    const t = capped(target);
    last = {
      target,
      route: target.route,
      shadow: target.shadow,
      endpoint: target.endpoint,
      hour,
      t,
      fieldScope: `${t.route}\0${t.shadow}\0${t.endpoint}`,
      key: scopeKey(hour, t),
    };
    return last;
  }
  const scopeKey = (hour: number, t: DiffTarget) => `${hour}\0${t.route}\0${t.shadow}\0${t.endpoint}`;
  // A copy, not the caller's object: targets may carry more properties than a stored row should.
  const scopeOf = (hour: number, t: DiffTarget): DiffScope => ({ hour, route: t.route, shadow: t.shadow, endpoint: t.endpoint });

  /** The pending row for `key`, made on first use unless `maxKeys` are pending (then dropped). */
  function slot<T>(map: Map<string, T>, key: string, make: () => T): T | undefined {
    const row = map.get(key);
    if (row !== undefined) return row;
    if (keys >= maxKeys) {
      dropped.keys++;
      return undefined;
    }
    keys++;
    const made = make();
    map.set(key, made);
    return made;
  }

  function signatureQuota(t: DiffTarget, field: string, kind: DiffKind): { sig: string; used: number } {
    const hour = hourNow();
    // Bounded like everything else: a full map is cleared, which at worst passes on extra examples.
    if (hour !== quotaHour || quota.size >= maxKeys) [quota, quotaHour] = [new Map(), hour];
    const sig = `${t.route}\0${t.shadow}\0${t.endpoint}\0${field}\0${kind}`;
    return { sig, used: quota.get(sig) ?? 0 };
  }

  function takeBatch(): DiffBatch {
    const batch: DiffBatch = {
      pairs: [...pairs.values()],
      fields: [...fields.values()],
      noise: [...noise.values()],
      statuses: [...statuses.values()],
      latency: [...latency.values()],
      deltas: [...deltas.values()],
      skips: [...skips.values()],
      profiles: [...profiles.values()],
      examples,
    };
    [pairs, fields, noise, statuses, latency, skips] = [new Map(), new Map(), new Map(), new Map(), new Map(), new Map()];
    deltas = new Map();
    skipRows = new Map();
    profiles = new Map();
    examples = [];
    keys = 0;
    return batch;
  }

  let inflight: Promise<void> | undefined;

  function flush(): Promise<void> {
    // After the write in flight, write what gathered meanwhile: one batch on its way at a time.
    if (inflight) return inflight.then(flush);
    if (keys === 0 && examples.length === 0) return Promise.resolve();
    const rows = keys + examples.length;
    const batch = takeBatch();
    const started = performance.now();
    writingProfiles = batch.profiles ?? [];
    const done = () => {
      lastFlushMs = performance.now() - started;
      inflight = undefined;
      writingProfiles = [];
    };
    inflight = new Promise<void>((resolve) => resolve(store.write(batch))).then(
      () => {
        flushes++;
        written += rows;
        done();
      },
      (err: unknown) => {
        // Disk full, database locked past busy_timeout, store queue full, …: this batch is lost, the next one may land.
        failures++;
        dropped.write += rows;
        lastError = err instanceof Error ? err.message : String(err);
        done();
        try {
          onError?.(err);
        } catch {
          // A throwing error handler must not take the timer (or shutdown) down with it.
        }
      },
    );
    return inflight;
  }

  /** One paired delta into its field's histogram (the p50/p95 of the report, noise-corrected there). */
  function delta(hour: number, t: DiffTarget, field: string, isNoise: boolean, ms: number | undefined): void {
    if (ms === undefined || !Number.isFinite(ms)) return;
    const key = `${scopeKey(hour, t)}\0${field}\0${isNoise ? 'n' : 'p'}`;
    const row = slot(deltas, key, () => ({ ...scopeOf(hour, t), field, noise: isNoise, hist: emptyHistogram(DELTA_BOUNDS) }));
    if (row) observe(row.hist, DELTA_BOUNDS, ms);
  }

  let timer: NodeJS.Timeout | undefined = setInterval(() => {
    if (!inflight) void flush();
  }, flushMs);
  // Pending diffs alone never keep the process alive; shutdown calls stop() to write them.
  timer.unref();

  return {
    pair(target) {
      const { t, hour, key } = scopeFor(target);
      const row = slot(pairs, key, () => ({ ...scopeOf(hour, t), count: 0 }));
      if (row) row.count++;
    },
    field(target, name, kind, differed, deltaMs) {
      const { t, hour, fieldScope, key: scope } = scopeFor(target);
      const field = cappedField(t, name, fieldScope);
      const key = `${scope}\0${field}\0${kind}`;
      const row = slot(fields, key, (): Row<'fields'> => ({ ...scopeOf(hour, t), field, kind, compared: 0, differed: 0 }));
      if (!row) return;
      row.compared++;
      if (differed) row.differed++;
      if (deltaMs === undefined || !Number.isFinite(deltaMs)) return;
      row.deltaMs = (row.deltaMs ?? 0) + deltaMs;
      delta(hour, t, field, false, deltaMs);
    },
    noise(target, name, differed, deltaMs) {
      const { t, hour, fieldScope, key: scope } = scopeFor(target);
      const field = cappedField(t, name, fieldScope);
      const key = `${scope}\0${field}`;
      const row = slot(noise, key, () => ({ ...scopeOf(hour, t), field, compared: 0, differed: 0 }));
      if (!row) return;
      row.compared++;
      if (differed) row.differed++;
      delta(hour, t, field, true, deltaMs);
    },
    status(target, primary, candidate) {
      const { t, hour, key: scope } = scopeFor(target);
      const key = `${scope}\0${primary}\0${candidate}`;
      const row = slot(statuses, key, () => ({ ...scopeOf(hour, t), primary, candidate, count: 0 }));
      if (row) row.count++;
    },
    latency(target, primaryMs, candidateMs) {
      const { t, hour, key } = scopeFor(target);
      const row = slot(latency, key, () => ({
        ...scopeOf(hour, t),
        primary: emptyHistogram(LATENCY_BOUNDS),
        candidate: emptyHistogram(LATENCY_BOUNDS),
        delta: emptyHistogram(DELTA_BOUNDS),
      }));
      if (!row) return;
      observe(row.primary, LATENCY_BOUNDS, primaryMs);
      observe(row.candidate, LATENCY_BOUNDS, candidateMs);
      observe(row.delta, DELTA_BOUNDS, candidateMs - primaryMs);
    },
    wantsExample(target, name, kind) {
      const t = capped(target);
      return signatureQuota(t, cappedField(t, name), kind).used < maxPerSignature;
    },
    example(original) {
      const t = capped(original);
      const ex = { ...original, endpoint: t.endpoint, field: cappedField(t, original.field) };
      const { sig, used } = signatureQuota(ex, ex.field, ex.kind);
      if (used >= maxPerSignature) return; // the store would keep the earlier ones anyway: not a loss
      if (examples.length >= maxExamplesPerFlush) {
        dropped.examples++;
        return;
      }
      quota.set(sig, used + 1);
      examples.push({ ...ex, hour: hourNow() });
    },
    skip(route, shadow, reason) {
      const hour = hourNow();
      if (hour !== hourOfSkips) [skipRows, hourOfSkips] = [new Map(), hour];
      let byShadow = skipRows.get(route);
      if (!byShadow) skipRows.set(route, (byShadow = new Map()));
      let byReason = byShadow.get(shadow);
      if (!byReason) byShadow.set(shadow, (byReason = new Map()));
      const known = byReason.get(reason);
      if (known) {
        known.count++;
        return;
      }
      const key = `${hour}\0${route}\0${shadow}\0${reason}`;
      const row = slot(skips, key, () => ({ hour, route, shadow, reason, count: 0 }));
      if (!row) return;
      byReason.set(reason, row);
      row.count++;
    },
    profile(inc) {
      const key = `${inc.minute}\0${inc.route}\0${inc.arm}\0${inc.op}`;
      const row = slot(profiles, key, () => emptyProfileRow(inc.minute, inc.route, inc.arm, inc.op));
      if (row) addProfileRow(row, inc);
    },
    pendingProfiles: (route) => [...writingProfiles, ...profiles.values()].filter((r) => r.route === route),
    flush,
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      return flush();
    },
    stats: () => ({
      flushes,
      failures,
      written,
      dropped: { ...dropped },
      overflow: { ...overflow },
      lastFlushMs,
      lastError,
      pending: keys + examples.length,
    }),
  };
}
